"""Screening: the four checks, in the same order for every request, and the route they lead to.

Routing is a pure function of the check results (review/routing.py). Each service runs in
short transactions, moves the request by compare-and-swap (reports.transitions) and writes
its audit events in the same transaction; a retried or re-delivered task changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from audit import events, inserts
from reports import transitions
from reports.models import RequestMessage, Status, TakedownRequest
from reports.notifications import notify_requester
from review import dispatch
from review.check_input import REQUEST_FIELDS, build_check_input, check_inputs_load, with_check_input
from review.checks import CheckOutcome, run_checks
from review.models import CheckResult, ScreeningRun
from review.routing import WORKFLOW_VERSION, Route, route
from review.rules import active_rules
from review.services import batch_sql

# Requests one claim of waiting filings takes at most; dispatch splits them between the workers.
SUBMITTED_CLAIM_LIMIT = 100


# --- The rules, shared by the one-by-one and the batch path -----------------------------------

def _screen(request: TakedownRequest, rules) -> tuple[dict, list[CheckOutcome], Route]:
    """What screening decides for one request: its check input, the four outcomes, the route."""
    check_input = build_check_input(request)
    outcomes = run_checks(check_input, rules)
    return check_input, outcomes, route(outcomes, rules)


def _screening_run(request: TakedownRequest, rules, check_input: dict, decided_route: Route) -> ScreeningRun:
    return ScreeningRun(request=request, round=request.screening_round, workflow_version=WORKFLOW_VERSION,
                        rules_version=rules.version, check_input=check_input, route=decided_route.as_dict())


def _check_results(run: ScreeningRun, outcomes: list[CheckOutcome]) -> list[CheckResult]:
    return [CheckResult(screening=run, request=run.request, round=run.round, position=position, name=outcome.name,
                        version=outcome.version, verdict=outcome.verdict, flags=outcome.flags,
                        findings=outcome.findings, explanation=outcome.explanation)
            for position, outcome in enumerate(outcomes, start=1)]


def _missing_parts(outcomes: list[CheckOutcome], decided_route: Route) -> list | None:
    """The parts to ask the requester for, or None when the request goes to a queue."""
    return outcomes[0].findings["missing"] if decided_route.target == "needs_info" else None


def _info_request(request_id: int, missing: list) -> RequestMessage:
    return RequestMessage(
        request_id=request_id, kind=RequestMessage.Kind.INFO_REQUEST, author=None,
        body="Before review can start, please provide:\n" + "\n".join(f"• {p['message']}" for p in missing))


def _route_move(review_round: int, decided_route: Route, missing: list | None, rules,
                now: datetime) -> tuple[str, dict]:
    """The transition a route makes and the fields it sets."""
    common = {"workflow_version": WORKFLOW_VERSION, "rules_version": rules.version, "routed_at": now}
    if missing is not None:
        return "route_to_needs_info", {"missing_parts": missing, "queue": "", "priority": None, "sla_due_at": None,
                                       **common}
    return "route_to_queue", {
        "queue": decided_route.queue, "priority": decided_route.priority,
        "sla_due_at": now + timedelta(hours=decided_route.sla_hours), "sla_breached": False,
        "missing_parts": [], "review_round": max(review_round, 1), **common}


# --- One request ---------------------------------------------------------------------------------

def request_screen(*, request_id: int) -> TakedownRequest | None:
    """Run the checks on a submitted request and route it. Safe to run any number of times.

    Two short transactions: the first moves ``submitted`` to ``screening`` (so the
    requester sees screening has begun), the second records every check result and
    the route at once. A worker killed between them leaves the request in
    ``screening``; the re-delivered task (or the sweeper) finishes it. A request in
    any other state is left alone.
    """
    with transaction.atomic():
        request = (TakedownRequest.objects.select_for_update(of=("self",)).select_related("exercise")
                   .filter(pk=request_id).first())
        if request is None or request.status not in (Status.SUBMITTED, Status.SCREENING):
            return request
        if request.status == Status.SUBMITTED:
            # The row is locked: the round read with it is the current one.
            transitions.apply(request, "start_screening", screening_round=request.screening_round + 1)
            events.screening_started_event(request=request)

    rules = active_rules()
    with transaction.atomic():
        request = (with_check_input(TakedownRequest.objects.select_for_update(of=("self",)))
                   .select_related("exercise").filter(pk=request_id).first())
        if request is None or request.status != Status.SCREENING:
            return request
        check_input, outcomes, decided_route = _screen(request, rules)
        run = _screening_run(request, rules, check_input, decided_route)
        run.save()
        results = CheckResult.objects.bulk_create(_check_results(run, outcomes))
        events.check_completed_events(request=request, results=results)
        missing = _missing_parts(outcomes, decided_route)
        action, changes = _route_move(request.review_round, decided_route, missing, rules, timezone.now())
        transitions.apply(request, action, **changes)
        if missing is not None:
            note = _info_request(request.pk, missing)
            note.save()
            events.info_requested_event(request=request, actor=None, missing=missing, message_id=note.pk)
            notify_requester(request, "needs_info")
        events.request_routed_event(request=request, route=decided_route.as_dict(),
                                    workflow_version=WORKFLOW_VERSION, rules_version=rules.version)
    return request


# --- Many requests at once -----------------------------------------------------------------------

def _screening_start(requests: list[TakedownRequest]) -> None:
    """``submitted`` → ``screening`` for rows locked by the caller: one UPDATE, one batch of events."""
    transitions.apply_many(requests, "start_screening", screening_round=F("screening_round") + 1)
    for request in requests:
        # The rows are locked: the rounds read with them were the current ones.
        request.screening_round += 1
    events.screening_started_events(started=[(events.subject_of(request), request.screening_round)
                                             for request in requests])


def requests_screen(*, request_ids: list[int]) -> list[int]:
    """Screen many requests as ``request_screen`` screens one, in a fixed number of statements. Returns those routed.

    Each request gets exactly the check results, route, message and events the one-by-one path
    gives it. The same two transactions: screening begins (``screening`` and screening_started,
    committed first, so the requester sees it), then every result, run, message, route and event
    of the batch is written with one statement per table. A worker killed between or during them
    leaves the requests ``submitted`` or ``screening``: the re-delivered task or the sweeper
    finishes them. Requests in any other state (already routed, withdrawn) are skipped, so a retry
    writes nothing twice; the unique (request, round) constraints stand behind that.
    """
    ids = sorted(set(request_ids))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            started = batch_sql.screening_start(ids)
            events.screening_started_events(started=started)
        else:
            # Locked in primary-key order, as every batch locks them, so two batches never deadlock.
            _screening_start(list(TakedownRequest.objects.select_for_update(of=("self",)).select_related("exercise")
                                  .filter(pk__in=ids, status=Status.SUBMITTED).order_by("pk")))
    return _screenings_finish(ids)


class _Screened(NamedTuple):
    request: dict
    check_input: dict
    outcomes: list[CheckOutcome]
    route: Route
    route_dict: dict
    missing: list | None


def _screened(request: dict, check_input: dict, rules) -> _Screened:
    outcomes = run_checks(check_input, rules)
    decided_route = route(outcomes, rules)
    return _Screened(request, check_input, outcomes, decided_route, decided_route.as_dict(),
                     _missing_parts(outcomes, decided_route))


# What the batch reads of each request it screens, besides what the check input reads.
BATCH_FIELDS = ("id", "reference", "status", "screening_round", "review_round", "sla_breached", "exercise_id")
# The columns the batch writes, by attribute name, in the order of the rows built below.
RUN_FIELDS = ("request_id", "round", "workflow_version", "rules_version", "check_input", "route", "finished_at")
RESULT_FIELDS = ("screening_id", "request_id", "round", "position", "name", "version", "verdict", "flags", "findings",
                 "explanation", "created_at")


def _screenings_finish(ids: list[int]) -> list[int]:
    """The second transaction of ``requests_screen``: every request of ``ids`` still in ``screening``, routed.

    The requests, their items and their citations are read as rows (``values()``: no model
    instances) and everything is written as rows: runs, check results and events with ``COPY`` on
    PostgreSQL (audit/inserts.py), the routes with one ``UPDATE`` (``transitions.apply_rows``).
    The one-by-one path writes the same values through the ORM; tests/review/test_batch_screening.py
    compares the two, byte for byte.
    """
    rules = active_rules()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            requests = batch_sql.screening_rows(ids, (*BATCH_FIELDS, *REQUEST_FIELDS))
        else:
            requests = list(TakedownRequest.objects.select_for_update(of=("self",))
                            .filter(pk__in=ids, status=Status.SCREENING).order_by("pk")
                            .values(*BATCH_FIELDS, *REQUEST_FIELDS, jurisdiction=F("agency__jurisdiction_id"),
                                    exercise_slug=F("exercise__slug")))
        if not requests:
            return []
        inputs = check_inputs_load(requests)
        screened = [_screened(request, inputs[request["id"]], rules) for request in requests]
        now = timezone.now()
        run_ids = inserts.rows_insert(ScreeningRun, RUN_FIELDS, [
            (s.request["id"], s.request["screening_round"], WORKFLOW_VERSION, rules.version, s.check_input,
             s.route_dict, now) for s in screened], with_ids=True)
        inserts.rows_insert(CheckResult, RESULT_FIELDS, [
            (run_id, s.request["id"], s.request["screening_round"], position, outcome.name, outcome.version,
             outcome.verdict, outcome.flags, outcome.findings, outcome.explanation, now)
            for run_id, s in zip(run_ids, screened, strict=True)
            for position, outcome in enumerate(s.outcomes, start=1)])
        sent_back = [s for s in screened if s.missing is not None]
        notes = {note.request_id: note.pk for note in RequestMessage.objects.bulk_create(
            _info_request(s.request["id"], s.missing) for s in sent_back)}
        transitions.apply_rows([(s.request, *_route_move(s.request["review_round"], s.route, s.missing, rules, now))
                                for s in screened])
        events.screenings_finished_events(screenings=[
            (events.Subject(s.request["id"], s.request["reference"], s.request["exercise_id"],
                            s.request["exercise_slug"]),
             s.request["screening_round"], s.outcomes, s.route_dict, WORKFLOW_VERSION, rules.version,
             (s.missing, notes[s.request["id"]]) if s.missing is not None else None)
            for s in screened])
        if sent_back:
            # Those sent back are told: they are read as requests (with their filers' accounts) for that alone.
            for request in (TakedownRequest.objects.select_related("submitted_by__reporter_account")
                            .filter(pk__in=[s.request["id"] for s in sent_back])):
                notify_requester(request, "needs_info")
    return [request["id"] for request in requests]


def submitted_requests_screen(*, request_id: int | None = None, limit: int = SUBMITTED_CLAIM_LIMIT) -> list[int]:
    """Claim the filings waiting in ``submitted``, start their screening, and screen them. Returns the ids claimed.

    One task per filing would screen a burst of filings one by one; instead each filing's task
    claims every waiting request no one else holds (``FOR UPDATE SKIP LOCKED``), so a burst is
    screened in batches and a filing whose request another claim took costs one query. The
    request the task was sent for is claimed also when it is left in ``screening`` (the
    sweeper resends those). The claim commits first (the requesters see screening begin); the
    claiming task then screens the first share itself and, when the claim is larger than one
    share, sends the others to ``requests_screen`` after that commit, split between the workers.
    A worker killed before it finishes leaves its share in ``screening``: the re-delivered task
    screens the request it was sent for, the sweeper the others. A claim that took as many as
    ``limit`` sends another claim after it commits, until the waiting filings are all taken.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            ids, started = batch_sql.submitted_claim(request_id, limit)
            events.screening_started_events(started=started)
        else:
            waiting = Q(status=Status.SUBMITTED)
            if request_id is not None:
                waiting |= Q(pk=request_id, status=Status.SCREENING)
            claimed = list(TakedownRequest.objects.select_for_update(of=("self",), skip_locked=True)
                           .select_related("exercise").filter(waiting).order_by("pk")[:limit])
            _screening_start([request for request in claimed if request.status == Status.SUBMITTED])
            ids = [request.pk for request in claimed]
        own, *others = dispatch.screening_shares(ids) or [[]]
        dispatch.screening_shares_enqueue_on_commit(others)
        if len(ids) >= limit:
            # More may be waiting (gathered filings send one claim between them): claim on.
            dispatch.waiting_claim_on_commit()
    if own:
        _screenings_finish(own)
    return ids


def stuck_requests_sweep(*, now: datetime | None = None, queue_depth: int | None = None) -> list[int]:
    """Re-enqueue screening of requests left in submitted/screening (a lost message must not lose a request).

    A request in ``screening`` is screened within a second of entering it, so one idle for
    ``CRS_SCREENING_STALE`` was left by a worker that died. One still ``submitted`` may just be
    waiting its turn: it counts as lost after ``CRS_SWEEP_AFTER``, or after the shorter
    ``CRS_SCREENING_STALE`` when the queue is empty (nothing ahead of it; its message died with a
    worker that had taken it). Resending is safe either way: screening is idempotent.
    """
    now = now or timezone.now()
    stale = min(settings.CRS_SCREENING_STALE, settings.CRS_SWEEP_AFTER)
    submitted_after = stale if queue_depth == 0 else settings.CRS_SWEEP_AFTER
    stuck = TakedownRequest.objects.filter(
        Q(status=Status.SCREENING, last_activity_at__lt=now - stale)
        | Q(status=Status.SUBMITTED, last_activity_at__lt=now - submitted_after))
    swept = []
    for request in stuck.only("pk", "reference", "exercise", "status", "last_activity_at"):
        with transaction.atomic():
            # Touch the row so that a second sweeper (or the next run) leaves it alone for a while.
            changed = TakedownRequest.objects.filter(pk=request.pk, status=request.status,
                                                     last_activity_at=request.last_activity_at).update(
                last_activity_at=now)
            if not changed:
                continue
            events.screening_reenqueued_event(request=request, stuck_since=request.last_activity_at)
            # A claim of its own: one gathered with others would take only waiting filings, not this one.
            dispatch.screening_enqueue_on_commit([request.pk], gather=False)
            swept.append(request.pk)
    return swept
