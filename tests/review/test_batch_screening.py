"""Screening many requests at once: the same results as one by one, a fixed number of statements, safe to retry."""

from __future__ import annotations

import json
from collections import Counter
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from filing.inputs import CourtOrderInput, ItemInput
from filing.services import request_file, request_withdraw, requests_file_bulk
from filing.simulation import synthetic_requests
from reports.models import RequestMessage, Status, TakedownRequest
from review import dispatch
from review.models import CheckResult, ScreeningRun
from review.services import request_screen, requests_screen, submitted_requests_screen
from tests.builders import filed, request_input
from tests.waiting import wait_until

PER_REQUEST_EVENTS = {"request_submitted": 1, "screening_started": 1, "check_completed": 4, "request_routed": 1}


class RolledBack(Exception):
    pass


def snapshot(requests: list[TakedownRequest]) -> dict[str, dict]:
    """Everything screening wrote about each request, with ids and times left out (sla kept as hours after routing)."""
    taken = {}
    for request in TakedownRequest.objects.filter(pk__in=[r.pk for r in requests]).order_by("pk"):
        documents = []
        for event in AuditEvent.objects.filter(request=request).order_by("pk"):
            document = json.loads(bytes(event.canonical))
            del document["uid"], document["at"]
            if document["type"] == "info_requested":
                document["payload"]["message"] = "<message id>"
            documents.append(document)
        taken[request.reference] = {
            "request": {
                "status": request.status, "queue": request.queue, "priority": request.priority,
                "missing_parts": request.missing_parts, "review_round": request.review_round,
                "screening_round": request.screening_round, "workflow_version": request.workflow_version,
                "rules_version": request.rules_version, "sla_breached": request.sla_breached,
                "sla_hours": (request.sla_due_at - request.routed_at).total_seconds() / 3600
                if request.sla_due_at else None,
            },
            "runs": list(ScreeningRun.objects.filter(request=request).values(
                "round", "workflow_version", "rules_version", "check_input", "route")),
            "checks": list(CheckResult.objects.filter(request=request).values(
                "round", "position", "name", "version", "verdict", "flags", "findings", "explanation")),
            "messages": list(RequestMessage.objects.filter(request=request).values("kind", "body", "author")),
            "events": documents,
        }
    return taken


@pytest.fixture
def varied_requests(kz_reporter, violating_content_code, harmless_content_code, journalist_content_code):
    """Requests for every route: policy, legal, human rights, imminent harm, missing parts, an unresolved post."""
    court = CourtOrderInput("Almaty district court", "2-123/2021", None)
    inputs = [
        request_input(violating_content_code, category="violence", court_order=None),
        request_input(harmless_content_code, court_order=court),
        request_input(journalist_content_code, category="government_criticism", requested_action="remove_globally",
                      court_order=None),
        request_input(harmless_content_code, urgency="imminent_harm", court_order=court),
        request_input(harmless_content_code, legal_basis=[], justification="", requested_action="", court_order=None),
        request_input(court_order=None, items=[ItemInput(url="https://example.org/post/gone")]),
    ]
    inputs += [data for _reporter, data in synthetic_requests(count=24, jurisdiction="KZ", seed=7)]
    return [request_file(reporter=kz_reporter, data=data)[0] for data in inputs]


@pytest.mark.django_db
def test_a_batch_screens_each_request_exactly_as_one_by_one_screening_does(varied_requests):
    # given: the requests screened one by one, recorded, and rolled back
    try:
        with transaction.atomic():
            for request in varied_requests:
                request_screen(request_id=request.pk)
            one_by_one = snapshot(varied_requests)
            raise RolledBack
    except RolledBack:
        pass
    assert set(TakedownRequest.objects.values_list("status", flat=True)) == {Status.SUBMITTED}

    # when: the same requests are screened as one batch
    routed = requests_screen(request_ids=[request.pk for request in varied_requests])

    # then: every request's results, route, message and events are the same, byte for byte
    assert sorted(routed) == sorted(request.pk for request in varied_requests)
    batched = snapshot(varied_requests)
    assert batched == one_by_one
    # ... and the inputs did reach every route, so the comparison covers them all
    routes = Counter((entry["request"]["status"], entry["request"]["queue"]) for entry in batched.values())
    assert {(Status.QUEUED, "policy"), (Status.QUEUED, "legal"), (Status.QUEUED, "human_rights"),
            (Status.NEEDS_INFO, "")} <= set(routes), routes


@pytest.mark.django_db
def test_a_retried_batch_writes_nothing_twice(varied_requests):
    ids = [request.pk for request in varied_requests]
    requests_screen(request_ids=ids)
    before = (CheckResult.objects.count(), ScreeningRun.objects.count(), AuditEvent.objects.count(),
              RequestMessage.objects.count())

    assert requests_screen(request_ids=ids) == []
    assert submitted_requests_screen() == []

    assert (CheckResult.objects.count(), ScreeningRun.objects.count(), AuditEvent.objects.count(),
            RequestMessage.objects.count()) == before


@pytest.mark.django_db
def test_a_batch_killed_before_its_results_are_written_is_finished_by_the_next_attempt(varied_requests):
    ids = [request.pk for request in varied_requests]

    # given: screening began, then the worker died before the results were committed
    killed = RuntimeError("killed")
    with mock.patch("review.services.screening.events.screenings_finished_events", side_effect=killed), \
            pytest.raises(RuntimeError):
        requests_screen(request_ids=ids)
    assert set(TakedownRequest.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.SCREENING}
    assert not ScreeningRun.objects.exists() and not CheckResult.objects.exists()

    # when: the task is delivered again
    requests_screen(request_ids=ids)

    # then: each request is routed once, in the round its screening began
    assert not TakedownRequest.objects.filter(pk__in=ids, status__in=[Status.SUBMITTED, Status.SCREENING]).exists()
    per_request = Counter(AuditEvent.objects.filter(request_id__in=ids).exclude(event_type="info_requested")
                          .values_list("request_id", "event_type"))
    assert set(per_request.values()) <= set(PER_REQUEST_EVENTS.values())
    assert all(per_request[(pk, kind)] == n for pk in ids for kind, n in PER_REQUEST_EVENTS.items())
    assert set(ScreeningRun.objects.values_list("round", flat=True)) == {1}
    assert CheckResult.objects.count() == 4 * len(ids)


@pytest.mark.django_db
def test_a_batch_skips_requests_already_screened_or_withdrawn(kz_reporter, harmless_content_code):
    screened, withdrawn, waiting = (filed(kz_reporter, harmless_content_code) for _ in range(3))
    request_screen(request_id=screened.pk)
    request_withdraw(reporter=kz_reporter, request=withdrawn, reason="No longer needed.")
    untouched = snapshot([screened, withdrawn])

    routed = requests_screen(request_ids=[screened.pk, withdrawn.pk, waiting.pk])

    assert routed == [waiting.pk]
    assert snapshot([screened, withdrawn]) == untouched
    assert TakedownRequest.objects.get(pk=withdrawn.pk).status == Status.WITHDRAWN
    assert TakedownRequest.objects.get(pk=waiting.pk).status == Status.QUEUED


@pytest.mark.django_db
def test_a_request_missing_parts_is_sent_back_for_information_by_a_batch(kz_reporter, harmless_content_code):
    incomplete = filed(kz_reporter, harmless_content_code, legal_basis=[], justification="", requested_action="",
                       court_order=None)
    complete = filed(kz_reporter, harmless_content_code)

    requests_screen(request_ids=[incomplete.pk, complete.pk])

    incomplete.refresh_from_db()
    assert incomplete.status == Status.NEEDS_INFO
    assert [part["field"] for part in incomplete.missing_parts] == ["legal_basis", "justification", "requested_action"]
    note = incomplete.messages.get()
    assert note.body.startswith("Before review can start, please provide:\n• ")
    assert list(incomplete.events.values_list("event_type", flat=True)) == [
        "request_submitted", "screening_started", *["check_completed"] * 4, "info_requested", "request_routed"]
    assert incomplete.events.get(event_type="info_requested").payload["message"] == note.pk
    assert TakedownRequest.objects.get(pk=complete.pk).status == Status.QUEUED


def statements_to_screen(reporter, content_code: str, pairs: int) -> int:
    ids = []
    for _ in range(pairs):  # a complete request and one sent back, so both routes write in each batch
        ids.append(filed(reporter, content_code).pk)
        ids.append(filed(reporter, content_code, legal_basis=[], justification="", court_order=None).pk)
    with CaptureQueriesContext(connection) as queries:
        assert len(requests_screen(request_ids=ids)) == len(ids)
    return len(queries)


@pytest.mark.django_db
def test_the_statements_a_batch_costs_do_not_grow_with_its_size(kz_reporter, harmless_content_code):
    if connection.vendor != "postgresql":
        # SQLite takes at most 999 values per statement, so Django splits a large batch's INSERTs.
        pytest.skip("one statement per table per batch holds on PostgreSQL (SQLite splits large INSERTs)")
    # Batches of at least inserts.COPY_MIN_ROWS requests write every table with COPY ...
    small = statements_to_screen(kz_reporter, harmless_content_code, pairs=5)
    large = statements_to_screen(kz_reporter, harmless_content_code, pairs=25)
    # ... and a smaller one writes its few events with one INSERT instead (fewer statements still).
    tiny = statements_to_screen(kz_reporter, harmless_content_code, pairs=1)

    assert large == small
    assert large <= 22, f"{large} statements for a batch"
    assert tiny <= large


@pytest.mark.django_db
def test_a_claim_takes_every_waiting_filing_and_screens_a_small_claim_itself(kz_reporter, harmless_content_code,
                                                                           django_capture_on_commit_callbacks):
    waiting = [filed(kz_reporter, harmless_content_code) for _ in range(3)]
    sent = []

    with mock.patch("review.dispatch._shares_send", side_effect=sent.append), \
            django_capture_on_commit_callbacks(execute=True):
        claimed = submitted_requests_screen(request_id=waiting[0].pk)

    # One share's worth: screened by the claiming task, no other task sent
    assert claimed == [request.pk for request in waiting]
    assert sent == []
    for request in waiting:
        request.refresh_from_db()
        assert (request.status, request.screening_round) == (Status.QUEUED, 1)
        assert list(request.events.values_list("event_type", flat=True)) == [
            "request_submitted", "screening_started", *["check_completed"] * 4, "request_routed"]


@pytest.mark.django_db
def test_a_large_claim_commits_screening_begun_then_screens_one_share_and_sends_the_others(
        kz_reporter, harmless_content_code, django_capture_on_commit_callbacks):
    waiting = [request.pk for request, _ in requests_file_bulk(reporter=kz_reporter, batch=[
        request_input(harmless_content_code, external_id=f"claim-{n}") for n in range(25)])]
    sent = []

    with mock.patch("review.dispatch._shares_send", side_effect=sent.append), \
            django_capture_on_commit_callbacks(execute=True):
        claimed = submitted_requests_screen(request_id=waiting[0])

    assert claimed == waiting
    own, *others = dispatch.screening_shares(waiting)
    assert sent == [others]
    statuses = dict(TakedownRequest.objects.filter(pk__in=waiting).values_list("pk", "status"))
    assert {statuses[pk] for pk in own} == {Status.QUEUED}
    # ... the others are in screening, begun (and committed) by the claim, for the tasks sent
    assert {statuses[pk] for share in others for pk in share} == {Status.SCREENING}
    assert AuditEvent.objects.filter(request_id__in=waiting, event_type="screening_started").count() == 25
    for share in others:
        requests_screen(request_ids=share)
    assert set(TakedownRequest.objects.filter(pk__in=waiting).values_list("status", flat=True)) == {Status.QUEUED}


def test_a_batch_is_shared_between_the_workers():
    assert [len(share) for share in dispatch.screening_shares(list(range(100)))] == [50, 50]
    assert [len(share) for share in dispatch.screening_shares(list(range(12)))] == [10, 2]
    assert sum(dispatch.screening_shares(list(range(37))), []) == list(range(37))


@pytest.mark.worker
def test_bulk_and_single_filings_are_routed_once_each_on_a_worker(celery_worker, kz_reporter, harmless_content_code,
                                                                  violating_content_code):
    # when: a bulk call and a burst of single filings
    bulk = [request for request, _ in requests_file_bulk(reporter=kz_reporter, batch=[
        request_input(harmless_content_code, external_id=f"bulk-{n}") for n in range(30)])]
    singles = [filed(kz_reporter, violating_content_code, category="violence", court_order=None) for _ in range(15)]
    ids = [request.pk for request in bulk + singles]

    # then: every one is routed, and screened exactly once
    wait_until(lambda: not TakedownRequest.objects.filter(pk__in=ids, status__in=[Status.SUBMITTED,
                                                                                     Status.SCREENING]).exists(),
               timeout=60, message="every request routed")
    assert ScreeningRun.objects.filter(request_id__in=ids).count() == len(ids)
    per_request = Counter(AuditEvent.objects.filter(request_id__in=ids).values_list("request_id", "event_type"))
    assert all(per_request[(pk, kind)] == n for pk in ids for kind, n in PER_REQUEST_EVENTS.items())
    assert set(TakedownRequest.objects.filter(pk__in=[r.pk for r in singles]).values_list("queue", flat=True)) == {
        "policy"}
