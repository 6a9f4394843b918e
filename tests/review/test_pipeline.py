"""The workflow end to end on a real Celery worker: filing to the right queue, for each route."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from filing.inputs import CourtOrderInput, ItemInput
from reports.models import Status, TakedownRequest
from review import dispatch, tasks
from review.models import CheckResult, ScreeningRun
from review.services import request_screen
from tests.builders import filed
from tests.waiting import wait_until

pytestmark = [pytest.mark.worker]

def routed(reference: str) -> TakedownRequest:
    def done():
        request = TakedownRequest.objects.get(reference=reference)
        return request if request.status in (Status.QUEUED, Status.NEEDS_INFO) else None

    return wait_until(done, message=f"{reference} to be routed")


def file(reporter, **fields) -> TakedownRequest:
    return filed(reporter, **{"court_order": None, **fields})


def test_policy_violation_goes_to_policy_queue(celery_worker, kz_reporter, violating_content_code):
    request = file(kz_reporter, items=[ItemInput(content_id=violating_content_code)])

    request = routed(request.reference)

    assert (request.status, request.queue) == (Status.QUEUED, "policy")
    assert request.workflow_version == "1"
    assert list(CheckResult.objects.filter(request=request).values_list("name", flat=True)) == [
        "completeness", "platform_policy", "local_law", "human_rights"]


def test_lawful_looking_low_risk_request_goes_to_legal_queue(celery_worker, kz_reporter, harmless_content_code):
    request = file(kz_reporter, items=[ItemInput(content_id=harmless_content_code)],
                   court_order=CourtOrderInput("Almaty district court", "2-123/2021", None))

    request = routed(request.reference)

    assert (request.status, request.queue, request.priority) == (Status.QUEUED, "legal", 3)


def test_high_risk_request_goes_to_human_rights_queue(celery_worker, kz_reporter, journalist_content_code):
    request = file(kz_reporter, items=[ItemInput(content_id=journalist_content_code)],
                   category="government_criticism", requested_action="remove_globally")

    request = routed(request.reference)

    assert (request.status, request.queue, request.priority) == (Status.QUEUED, "human_rights", 2)


def test_imminent_harm_gets_top_priority_and_short_sla(celery_worker, kz_reporter, harmless_content_code):
    request = file(kz_reporter, items=[ItemInput(content_id=harmless_content_code)], urgency="imminent_harm",
                   court_order=CourtOrderInput("Almaty district court", "2-124/2021", None))

    request = routed(request.reference)

    assert request.priority == 1
    hours = (request.sla_due_at - request.routed_at).total_seconds() / 3600
    assert hours == pytest.approx(4)


def test_incomplete_request_goes_back_with_the_missing_parts(celery_worker, kz_reporter, harmless_content_code):
    request = file(kz_reporter, items=[ItemInput(content_id=harmless_content_code)], legal_basis=[],
                   justification="", requested_action="")

    request = routed(request.reference)

    assert request.status == Status.NEEDS_INFO
    assert [part["field"] for part in request.missing_parts] == ["legal_basis", "justification", "requested_action"]
    body = request.messages.get().body
    assert body.startswith("Before review can start, please provide:\n• ") and ".;" not in body


def test_running_screening_twice_changes_nothing(celery_worker, kz_reporter, harmless_content_code):
    request = routed(file(kz_reporter, items=[ItemInput(content_id=harmless_content_code)]).reference)
    before = (CheckResult.objects.count(), ScreeningRun.objects.count(), AuditEvent.objects.count())

    request_screen(request_id=request.pk)
    tasks.request_screen.delay(request.pk)
    wait_until(lambda: True)

    request.refresh_from_db()
    assert request.status == Status.QUEUED
    assert (CheckResult.objects.count(), ScreeningRun.objects.count(), AuditEvent.objects.count()) == before


def test_the_sweeper_routes_a_request_whose_message_was_lost(celery_worker, kz_reporter, harmless_content_code,
                                                             monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from review.services import stuck_requests_sweep

    # given: the screening message never reaches the broker
    monkeypatch.setattr(dispatch, "screening_enqueue", lambda request_ids, **_options: None)
    request = file(kz_reporter, items=[ItemInput(content_id=harmless_content_code)])
    monkeypatch.undo()
    assert TakedownRequest.objects.get(pk=request.pk).status == Status.SUBMITTED

    # when: the sweeper runs after the request has waited too long
    swept = stuck_requests_sweep(now=timezone.now() + timedelta(hours=1))

    # then: it is screened and routed exactly once
    assert swept == [request.pk]
    request = routed(request.reference)
    assert request.status == Status.QUEUED
    assert ScreeningRun.objects.filter(request=request).count() == 1
    assert list(request.events.values_list("event_type", flat=True))[:2] == ["request_submitted",
                                                                             "screening_reenqueued"]
