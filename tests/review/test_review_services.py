"""Human review through the services: claims, decisions and their effects, periodic work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from filing.inputs import ItemInput, RequestInput
from filing.services import request_file, request_reconsider
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.models import ContentRestriction, Status, TakedownRequest
from review.models import Decision
from review.services import (
    claims_expire,
    item_decide,
    request_ask_info,
    request_claim,
    request_claim_next,
    request_escalate,
    request_release,
    request_screen,
    sla_watch,
)
from tests.builders import filed_and_screened

pytestmark = pytest.mark.django_db


def queued(reporter, content_code, **fields) -> TakedownRequest:
    request = filed_and_screened(reporter, content_code, **{"court_order": None, **fields})
    assert request.status == Status.QUEUED
    return request


def events(request) -> list[str]:
    return list(AuditEvent.objects.filter(request=request).values_list("event_type", flat=True))


def test_a_reviewer_claims_a_request_of_their_tier(kz_reporter, violating_content_code, policy_reviewer):
    request = queued(kz_reporter, violating_content_code)
    assert request.queue == "policy"

    request_claim(reviewer=policy_reviewer, request=request)

    request.refresh_from_db()
    assert (request.status, request.claimed_by) == (Status.IN_REVIEW, policy_reviewer)
    assert events(request)[-1] == "request_claimed"


def test_a_reviewer_cannot_claim_from_another_tiers_queue(kz_reporter, violating_content_code, legal_reviewer):
    request = queued(kz_reporter, violating_content_code)

    with pytest.raises(NotAllowed, match="worked by the Reviewers: platform policy tier"):
        request_claim(reviewer=legal_reviewer, request=request)
    request.refresh_from_db()
    assert request.status == Status.QUEUED


def test_a_claimed_request_cannot_be_claimed_again(kz_reporter, violating_content_code, policy_reviewer,
                                                   senior_reviewer):
    request = queued(kz_reporter, violating_content_code)
    request_claim(reviewer=policy_reviewer, request=request)

    with pytest.raises(IllegalTransition):
        request_claim(reviewer=senior_reviewer, request=TakedownRequest.objects.get(pk=request.pk))
    assert TakedownRequest.objects.get(pk=request.pk).claimed_by == policy_reviewer


def test_claim_next_takes_the_most_urgent(kz_reporter, harmless_content_code, legal_reviewer):
    from tests.factories import ContentFactory

    other = ContentFactory(country="KZ")
    later = queued(kz_reporter, harmless_content_code, court_order=None)
    urgent = queued(kz_reporter, other.code, urgency="imminent_harm")
    assert (later.queue, urgent.queue) == ("legal", "legal")

    claimed = request_claim_next(reviewer=legal_reviewer, queue="legal")

    assert claimed.pk == urgent.pk


def test_a_decision_removes_or_restricts_the_content_and_tells_the_requester(
        kz_reporter, violating_content_code, harmless_content_code, senior_reviewer,
        django_capture_on_commit_callbacks):
    request, _ = request_file(reporter=kz_reporter, data=RequestInput(
        items=[ItemInput(content_id=violating_content_code), ItemInput(content_id=harmless_content_code)],
        category="hate_speech", legal_basis=["KZ-CC-174"], requested_action="restrict_in_jurisdiction",
        justification="Both posts incite discord between groups of citizens under art. 174."))
    request_screen(request_id=request.pk)
    request.refresh_from_db()
    request_claim(reviewer=senior_reviewer, request=request)
    first, second = request.items.all()

    item_decide(reviewer=senior_reviewer, item=first, action="remove_globally", reason_code="policy_violation",
                rationale="Slur against an ethnic group.")
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW, "one item is still undecided"
    with django_capture_on_commit_callbacks(execute=True):
        item_decide(reviewer=senior_reviewer, item=second, action="restrict_in_jurisdiction",
                    reason_code="unlawful_locally", rationale="Unlawful under art. 174 as applied by the court.")

    request.refresh_from_db()
    first.content.refresh_from_db()
    assert (request.status, request.outcome, request.claimed_by) == (Status.DECIDED, "full", None)
    assert first.content.removed_globally_at is not None
    assert list(ContentRestriction.objects.values_list("content__code", "country")) == [(harmless_content_code, "KZ")]
    assert events(request)[-3:] == ["item_decided", "item_decided", "request_decided"]
    assert mail.outbox[-1].subject == f"{request.reference}: decision made"


def test_a_decision_needs_a_rationale_and_a_fitting_reason(kz_reporter, violating_content_code, senior_reviewer):
    request = queued(kz_reporter, violating_content_code)
    request_claim(reviewer=senior_reviewer, request=request)

    with pytest.raises(InvalidInput) as error:
        item_decide(reviewer=senior_reviewer, item=request.items.get(), action="remove_globally",
                    reason_code="unlawful_locally", rationale=" ")

    assert set(error.value.fields) == {"reason_code", "rationale"}
    assert Decision.objects.count() == 0


def test_a_decision_against_the_checks_needs_a_senior_reviewer(kz_reporter, journalist_content_code, hr_reviewer,
                                                               senior_reviewer):
    request = queued(kz_reporter, journalist_content_code, category="government_criticism",
                     requested_action="remove_globally")
    assert request.queue == "human_rights"
    request_claim(reviewer=hr_reviewer, request=request)

    with pytest.raises(NotAllowed, match="the human-rights check marked this request high risk"):
        item_decide(reviewer=hr_reviewer, item=request.items.get(), action="restrict_in_jurisdiction",
                    reason_code="unlawful_locally", rationale="Restrict anyway.")
    assert Decision.objects.count() == 0

    request_release(reviewer=hr_reviewer, request=request)
    request_claim(reviewer=senior_reviewer, request=request)
    decision = item_decide(reviewer=senior_reviewer, item=request.items.get(), action="restrict_in_jurisdiction",
                           reason_code="unlawful_locally", rationale="A court has since found it unlawful.")
    assert decision.contradicts_checks is True


def test_only_the_claimant_may_decide(kz_reporter, violating_content_code, policy_reviewer, senior_reviewer):
    request = queued(kz_reporter, violating_content_code)
    request_claim(reviewer=policy_reviewer, request=request)

    with pytest.raises(NotAllowed, match="is not claimed by you"):
        item_decide(reviewer=senior_reviewer, item=request.items.get(), action="no_action",
                    reason_code="not_unlawful", rationale="No.")


def test_escalating_moves_the_request_to_the_other_tier(kz_reporter, harmless_content_code, legal_reviewer,
                                                        hr_reviewer):
    request = queued(kz_reporter, harmless_content_code)
    request_claim(reviewer=legal_reviewer, request=request)

    request_escalate(reviewer=legal_reviewer, request=request, to_queue="human_rights", note="Author is a blogger.")

    request.refresh_from_db()
    assert (request.status, request.queue, request.claimed_by) == (Status.QUEUED, "human_rights", None)
    request_claim(reviewer=hr_reviewer, request=request)


def test_asking_for_information_sends_the_request_back_to_the_requester(kz_reporter, harmless_content_code,
                                                                        legal_reviewer,
                                                                        django_capture_on_commit_callbacks):
    request = queued(kz_reporter, harmless_content_code)
    request_claim(reviewer=legal_reviewer, request=request)

    with django_capture_on_commit_callbacks(execute=True):
        request_ask_info(reviewer=legal_reviewer, request=request, message="Which court order applies?")

    request.refresh_from_db()
    assert (request.status, request.claimed_by) == (Status.NEEDS_INFO, None)
    assert request.messages.get(kind="info_request").body == "Which court order applies?"
    assert mail.outbox[-1].subject == f"{request.reference}: information needed before review"


def test_reconsideration_can_reverse_the_effect_of_a_decision(kz_reporter, harmless_content_code, legal_reviewer,
                                                              senior_reviewer):
    request = queued(kz_reporter, harmless_content_code)
    request_claim(reviewer=senior_reviewer, request=request)
    item_decide(reviewer=senior_reviewer, item=request.items.get(), action="restrict_in_jurisdiction",
                reason_code="unlawful_locally", rationale="Unlawful locally.")
    assert ContentRestriction.objects.filter(lifted_at__isnull=True).count() == 1

    request_reconsider(reporter=kz_reporter, request=request, message="The author appealed; please look again.")
    request.refresh_from_db()
    request_claim(reviewer=legal_reviewer, request=request)
    item_decide(reviewer=legal_reviewer, item=request.items.get(), action="no_action", reason_code="not_unlawful",
                rationale="On a second look, it is lawful criticism.")

    assert ContentRestriction.objects.filter(lifted_at__isnull=True).count() == 0
    assert list(Decision.objects.order_by("round").values_list("round", "action")) == [
        (1, "restrict_in_jurisdiction"), (2, "no_action")]
    with pytest.raises(NotAllowed, match="already been reconsidered once"):
        request_reconsider(reporter=kz_reporter, request=request, message="Again, please.")


def test_an_overdue_request_is_flagged_and_raised_in_priority_once(kz_reporter, harmless_content_code):
    request = queued(kz_reporter, harmless_content_code)
    later = timezone.now() + timedelta(days=30)

    assert sla_watch(now=later) == 1
    assert sla_watch(now=later) == 0

    request.refresh_from_db()
    assert (request.sla_breached, request.priority) == (True, 2)
    assert events(request).count("sla_breached") == 1


def test_a_stale_claim_expires(kz_reporter, harmless_content_code, legal_reviewer):
    request = queued(kz_reporter, harmless_content_code)
    request_claim(reviewer=legal_reviewer, request=request)

    assert claims_expire(now=timezone.now() + timedelta(days=1)) == 1

    request.refresh_from_db()
    assert (request.status, request.claimed_by) == (Status.QUEUED, None)
    assert events(request)[-1] == "claim_expired"
