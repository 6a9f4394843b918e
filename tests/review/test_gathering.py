"""Single filings are gathered: one claim, sent a moment after the first, screens those filed meanwhile."""

from __future__ import annotations

from collections import Counter
from unittest import mock

import pytest
from celery.signals import before_task_publish
from django.test import override_settings

from audit.models import AuditEvent
from reports.models import Status, TakedownRequest
from review import dispatch
from review.models import ScreeningRun
from review.services import submitted_requests_screen
from tests.builders import filed
from tests.waiting import wait_until


@pytest.fixture
def sent():
    calls = []
    with mock.patch.object(dispatch.current_app, "send_task",
                           side_effect=lambda name, **options: calls.append((name, options))):
        yield calls


@override_settings(CRS_SCREENING_GATHER_MS=50)
def test_filings_made_while_a_claim_is_pending_send_nothing_more(sent):
    for request_id in (11, 12, 13):
        dispatch.screening_enqueue([request_id])

    assert sent == [(dispatch.SUBMITTED_REQUESTS_SCREEN_TASK, {"args": [11], "countdown": 0.05})]


@override_settings(CRS_SCREENING_GATHER_MS=50)
def test_once_the_claim_starts_the_next_filing_sends_its_own(sent):
    dispatch.screening_enqueue([11])
    dispatch.claim_started()
    dispatch.screening_enqueue([12])

    assert [options["args"] for _name, options in sent] == [[11], [12]]


@override_settings(CRS_SCREENING_GATHER_MS=50)
def test_the_sweepers_resend_sends_a_claim_of_its_own_even_while_one_is_pending(sent):
    dispatch.screening_enqueue([11])
    # A request left in screening by a dead worker: a claim of waiting filings would not take it.
    dispatch.screening_enqueue([12], gather=False)

    assert sent == [(dispatch.SUBMITTED_REQUESTS_SCREEN_TASK, {"args": [11], "countdown": 0.05}),
                    (dispatch.SUBMITTED_REQUESTS_SCREEN_TASK, {"args": [12]})]


@override_settings(CRS_SCREENING_GATHER_MS=50)
def test_a_claim_that_could_not_be_sent_leaves_nothing_pending(caplog):
    with mock.patch.object(dispatch.current_app, "send_task", side_effect=ConnectionError("broker down")):
        dispatch.screening_enqueue([11])  # logged; the sweeper resends it
    assert "the sweeper will retry" in caplog.text

    with mock.patch.object(dispatch.current_app, "send_task") as send:
        dispatch.screening_enqueue([12])
    send.assert_called_once_with(dispatch.SUBMITTED_REQUESTS_SCREEN_TASK, args=[12], countdown=0.05)


@override_settings(CRS_SCREENING_GATHER_MS=0)
def test_without_a_window_every_filing_sends_a_claim_at_once(sent):
    for request_id in (11, 12):
        dispatch.screening_enqueue([request_id])

    assert sent == [(dispatch.SUBMITTED_REQUESTS_SCREEN_TASK, {"args": [11]}),
                    (dispatch.SUBMITTED_REQUESTS_SCREEN_TASK, {"args": [12]})]


@pytest.mark.worker
@override_settings(CRS_SCREENING_GATHER_MS=500)
def test_a_burst_of_single_filings_is_screened_in_few_claims_each_request_once(celery_worker, kz_reporter,
                                                                                harmless_content_code):
    claims = []

    def count(sender=None, **_kwargs):
        if sender == dispatch.SUBMITTED_REQUESTS_SCREEN_TASK:
            claims.append(sender)

    before_task_publish.connect(count)
    try:
        singles = [filed(kz_reporter, harmless_content_code).pk for _ in range(10)]
        wait_until(lambda: not TakedownRequest.objects.filter(
            pk__in=singles, status__in=[Status.SUBMITTED, Status.SCREENING]).exists(),
            timeout=60, message="every single filing routed")
    finally:
        before_task_publish.disconnect(count)

    # Ten filings within the window: far fewer claims than filings (one each without the window).
    assert 1 <= len(claims) <= 3, claims
    assert ScreeningRun.objects.filter(request_id__in=singles).count() == len(singles)
    started = Counter(AuditEvent.objects.filter(request_id__in=singles, event_type="screening_started")
                      .values_list("request_id", flat=True))
    assert started == dict.fromkeys(singles, 1)


@pytest.mark.django_db
def test_a_claim_that_took_its_limit_sends_another_until_none_is_left(kz_reporter, harmless_content_code,
                                                                       django_capture_on_commit_callbacks, sent):
    waiting = [filed(kz_reporter, harmless_content_code).pk for _ in range(5)]
    sent.clear()  # the filings' own claims

    with mock.patch("review.dispatch._shares_send"), django_capture_on_commit_callbacks(execute=True):
        first = submitted_requests_screen(limit=3)
    assert first == waiting[:3]
    assert sent == [(dispatch.SUBMITTED_REQUESTS_SCREEN_TASK, {"args": [None]})]  # more may wait: claim on

    sent.clear()
    with mock.patch("review.dispatch._shares_send"), django_capture_on_commit_callbacks(execute=True):
        second = submitted_requests_screen(request_id=None, limit=3)
    assert second == waiting[3:]
    assert sent == []  # fewer than the limit: none is left
