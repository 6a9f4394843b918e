"""Builders for request-log tests: requests with exactly the fields, dates and decisions a test states.

They write rows directly (no workflow), so that a test of what auditors *read* controls every
figure. Tests of the whole path file through reports.services and review.services instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from filing.services import content_snapshot, snapshot_hash
from reports.models import Agency, ContentItem, RequestItem, Status, TakedownRequest
from reports.tenancy import exercise_default
from review.models import Decision
from review.services.tallies import request_tallies_rebuild
from tests.factories import AgencyFactory, JurisdictionFactory, UserFactory

REASONS = {"remove_globally": "policy_violation", "restrict_in_jurisdiction": "unlawful_locally",
           "no_action": "not_unlawful"}
_numbers = count(1)


def at(text: str) -> datetime:
    """A UTC time from '2021-11-02' or '2021-11-02 09:30'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def agency(code: str, jurisdiction: str, *, name: str | None = None, authority_type: str = "ministry") -> Agency:
    return AgencyFactory(code=code, name=name or f"Agency {code}", authority_type=authority_type,
                         jurisdiction=JurisdictionFactory(code=jurisdiction, name=f"Country {jurisdiction}"))


def filed(agency: Agency, *, submitted_at: datetime, category: str = "hate_speech",
          requested_action: str = "restrict_in_jurisdiction", status: str = Status.QUEUED, queue: str = "legal",
          outcome: str = "", court_order: bool = False, decided_at: datetime | None = None,
          items: list | int = 1, decisions: list[str] | None = None, review_round: int = 1,
          submitted_by=None, exercise=None) -> TakedownRequest:
    """A filed request. ``items`` is a count of URL items or a list of ContentItems and URLs;
    ``decisions`` gives one action per item, decided in ``review_round``."""
    number = next(_numbers)
    routed = status not in (Status.SUBMITTED, Status.SCREENING, Status.NEEDS_INFO)
    request = TakedownRequest.objects.create(
        reference=f"CRS-{submitted_at.year}-{900000 + number:06d}",
        exercise=exercise or exercise_default(), agency=agency, authority_type=agency.authority_type,
        submitted_by=submitted_by or UserFactory(), category=category, requested_action=requested_action,
        justification=f"Justification {number}.", court_name="Almaty district court" if court_order else "",
        court_case_number=f"2-{number}/2021" if court_order else "", submission_method="api", status=status,
        queue=queue if routed else "", priority=3 if routed else None,
        sla_due_at=submitted_at + timedelta(days=3) if routed else None, outcome=outcome,
        submitted_at=submitted_at, routed_at=submitted_at + timedelta(seconds=2) if routed else None,
        decided_at=decided_at, screening_round=1, review_round=review_round, workflow_version="1",
        rules_version="2021.1",
    )
    targets = [f"https://elsewhere.example/post/{number}-{n}" for n in range(items)] if isinstance(items, int) \
        else items
    stored = []
    for position, target in enumerate(targets, start=1):
        if isinstance(target, ContentItem):
            snapshot = content_snapshot(target)
            stored.append(RequestItem.objects.create(request=request, position=position, content=target,
                                                     snapshot=snapshot, snapshot_sha256=snapshot_hash(snapshot)))
        else:
            stored.append(RequestItem.objects.create(request=request, position=position, url=target))
    reviewer = UserFactory(username="log_reviewer")
    for item, action in zip(stored, decisions or [], strict=False):
        Decision.objects.create(request=request, item=item, round=review_round, action=action,
                                reason_code=REASONS[action], rationale=f"Rationale for {action}.",
                                reviewer=reviewer, reviewer_tier="senior_reviewer")
    # The rows were written directly, so the counts the workflow keeps are recounted here.
    request_tallies_rebuild(requests=TakedownRequest.objects.filter(pk=request.pk))
    request.refresh_from_db()
    return request


def references(records) -> list[str]:
    return [record["reference"] for record in records]
