"""The debrief of a closed exercise: what happened, request by request and jurisdiction by jurisdiction.

The material a seminar discusses: how many requests each agency filed, where the workflow
routed each one and why, what the reviewers decided against the automated findings, which
human-rights flags were raised, the affected users' appeals, and how long decisions took,
with charts comparing jurisdictions. Everything is read from the record in a fixed number
of queries (the request list with its prefetches, and the escalations).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from audit.models import AuditEvent
from reports.models import Appeal, Exercise, Queue, Status, TakedownRequest
from review.models import ITEM_OUTCOME_OF_ACTION, CheckResult, Decision, ItemOutcome, ScreeningRun
from transparency import charts

# A class runs for an hour or two: decisions take minutes, not days.
SECONDS_PER_MINUTE = 60
ROUTE_KEYS = [(Queue.POLICY.value, "Platform policy"), (Queue.LEGAL.value, "Local law"),
              (Queue.HUMAN_RIGHTS.value, "Human-rights escalation"), ("needs_info", "Sent back for information")]
RISK_KEYS = [("low", "Low risk"), ("medium", "Medium risk"), ("high", "High risk")]
OUTCOME_KEYS = ItemOutcome.choices


@dataclass
class RequestRow:
    request: TakedownRequest
    route: dict | None
    escalations: list[dict]
    checks: dict[str, CheckResult]
    decisions: list[Decision]
    appeals: list[Appeal]
    minutes_to_decision: float | None

    @property
    def hr_flags(self) -> list[str]:
        check = self.checks.get(CheckResult.Name.HUMAN_RIGHTS)
        return list(check.flags) if check else []

    @property
    def contradictions(self) -> list[Decision]:
        return [decision for decision in self.decisions if decision.contradicts_checks]


@dataclass
class JurisdictionSummary:
    code: str
    name: str = ""
    requests: int = 0
    items: int = 0
    routes: Counter = field(default_factory=Counter)
    risks: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    hr_flags: Counter = field(default_factory=Counter)
    contradictions: int = 0
    appeals: int = 0
    reversed: int = 0
    minutes: list[float] = field(default_factory=list)

    @property
    def median_minutes(self) -> float | None:
        return round(statistics.median(self.minutes), 1) if self.minutes else None


def _minutes(request: TakedownRequest) -> float | None:
    if request.decided_at is None or request.submitted_at is None:
        return None
    return round((request.decided_at - request.submitted_at).total_seconds() / SECONDS_PER_MINUTE, 1)


def exercise_requests(*, exercise: Exercise):
    """Every filed request of the exercise with what the debrief reads, oldest first."""
    return (TakedownRequest.objects.filter(exercise=exercise).exclude(status=Status.DRAFT)
            .select_related("agency__jurisdiction")
            .prefetch_related(
                Prefetch("screenings", queryset=ScreeningRun.objects.order_by("round")),
                Prefetch("check_results", queryset=CheckResult.objects.order_by("round", "position")),
                Prefetch("decisions", queryset=Decision.objects.select_related("item").order_by("round",
                                                                                                "item__position")),
                Prefetch("appeals", queryset=Appeal.objects.select_related("item", "author").order_by("filed_at")),
            )
            .order_by("submitted_at", "id"))


def exercise_debrief(*, exercise: Exercise) -> dict:
    """The debrief's figures, rows and charts for one exercise."""
    escalations: dict[int, list[dict]] = defaultdict(list)
    for event in (AuditEvent.objects.filter(exercise=exercise, event_type="request_escalated")
                  .order_by("id").values("request_id", "payload")):
        escalations[event["request_id"]].append(event["payload"])

    rows: list[RequestRow] = []
    per: dict[str, JurisdictionSummary] = {}
    agencies: dict[int, dict] = {}
    hr_flags: Counter = Counter()
    for request in exercise_requests(exercise=exercise):
        screenings = list(request.screenings.all())
        latest_round = request.screening_round
        checks = {c.name: c for c in request.check_results.all() if c.round == latest_round}
        latest_review = request.review_round
        decisions = [d for d in request.decisions.all() if d.round == latest_review]
        row = RequestRow(request=request, route=screenings[-1].route if screenings else None,
                         escalations=escalations.get(request.pk, []), checks=checks,
                         decisions=decisions, appeals=list(request.appeals.all()),
                         minutes_to_decision=_minutes(request))
        rows.append(row)

        code = request.agency.jurisdiction_id
        summary = per.setdefault(code, JurisdictionSummary(code=code, name=request.agency.jurisdiction.name))
        summary.requests += 1
        summary.items += request.item_count
        if row.route:
            summary.routes[row.route["target"]] += 1
        risk = checks.get(CheckResult.Name.HUMAN_RIGHTS)
        if risk is not None:
            summary.risks[risk.verdict] += 1
        for flag in row.hr_flags:
            summary.hr_flags[flag] += 1
            hr_flags[flag] += 1
        for decision in decisions:
            summary.outcomes[ITEM_OUTCOME_OF_ACTION[decision.action]] += 1
        summary.outcomes[ItemOutcome.PENDING.value] += request.item_count - len(decisions)
        summary.contradictions += len(row.contradictions)
        summary.appeals += len(row.appeals)
        summary.reversed += sum(1 for appeal in row.appeals if appeal.status == Appeal.Status.REVERSED)
        if row.minutes_to_decision is not None:
            summary.minutes.append(row.minutes_to_decision)

        agency = agencies.setdefault(request.agency_id, {"agency": request.agency, "requests": 0, "items": 0,
                                                         "decided": 0, "outcomes": Counter()})
        agency["requests"] += 1
        agency["items"] += request.item_count
        agency["decided"] += request.decided_at is not None
        if request.outcome:
            agency["outcomes"][request.outcome] += 1

    jurisdictions = sorted(per.values(), key=lambda s: (-s.requests, s.code))
    appeals = [appeal for row in rows for appeal in row.appeals]
    decided_minutes = [row.minutes_to_decision for row in rows if row.minutes_to_decision is not None]
    return {
        "exercise": exercise,
        "rows": rows,
        "agencies": sorted(agencies.values(), key=lambda a: (a["agency"].jurisdiction_id, a["agency"].name)),
        "jurisdictions": jurisdictions,
        "hr_flags": hr_flags.most_common(),
        "contradictions": [(row, decision) for row in rows for decision in row.contradictions],
        "appeals": appeals,
        "totals": {
            "requests": len(rows),
            "items": sum(row.request.item_count for row in rows),
            "decided": len(decided_minutes),
            "median_minutes": round(statistics.median(decided_minutes), 1) if decided_minutes else None,
            "contradictions": sum(len(row.contradictions) for row in rows),
            "appeals": len(appeals),
            "reversed": sum(1 for appeal in appeals if appeal.status == Appeal.Status.REVERSED),
            "restored": sum(1 for appeal in appeals if appeal.content_restored),
        },
        "charts": _charts(jurisdictions),
    }


def _charts(jurisdictions: list[JurisdictionSummary]) -> list[charts.Chart]:
    """The jurisdictions side by side: how much they asked, where it went, how risky, what came of it, how fast."""
    return [
        charts.bar_chart("Requests by jurisdiction", [(s.name, s.requests, None) for s in jurisdictions]),
        charts.stacked_chart("Where screening routed each jurisdiction's requests", ROUTE_KEYS,
                             [(s.name, dict(s.routes), None) for s in jurisdictions]),
        charts.stacked_chart("Human-rights risk found by screening", RISK_KEYS,
                             [(s.name, dict(s.risks), None) for s in jurisdictions]),
        charts.stacked_chart("Reported items by outcome", OUTCOME_KEYS,
                             [(s.name, dict(s.outcomes), None) for s in jurisdictions]),
        charts.bar_chart("Median minutes from submission to decision",
                         [(s.name, s.median_minutes, None) for s in jurisdictions if s.median_minutes is not None]),
    ]
