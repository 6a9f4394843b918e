"""Screening: the four checks, in the same order for every request, and the route they lead to.

Routing is a pure function of the check results (review/routing.py). Each service runs in
short transactions, moves the request by compare-and-swap (reports.transitions) and writes
its audit events in the same transaction; a retried or re-delivered task changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit import events
from reports import transitions
from reports.models import RequestMessage, Status, TakedownRequest
from reports.notifications import notify_requester
from review import dispatch
from review.check_input import build_check_input
from review.checks import run_checks
from review.models import CheckResult, ScreeningRun
from review.routing import WORKFLOW_VERSION, route
from review.rules import active_rules


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
        request = (TakedownRequest.objects.select_for_update(of=("self",)).select_related("agency", "exercise")
                   .filter(pk=request_id).first())
        if request is None or request.status != Status.SCREENING:
            return request
        check_input = build_check_input(request)
        outcomes = run_checks(check_input, rules)
        decided_route = route(outcomes, rules)
        run = ScreeningRun.objects.create(
            request=request, round=request.screening_round, workflow_version=WORKFLOW_VERSION,
            rules_version=rules.version, check_input=check_input, route=decided_route.as_dict(),
        )
        results = CheckResult.objects.bulk_create(
            CheckResult(screening=run, request=request, round=run.round, position=position, name=outcome.name,
                        version=outcome.version, verdict=outcome.verdict, flags=outcome.flags,
                        findings=outcome.findings, explanation=outcome.explanation)
            for position, outcome in enumerate(outcomes, start=1))
        events.check_completed_events(request=request, results=results)
        now = timezone.now()
        common = {"workflow_version": WORKFLOW_VERSION, "rules_version": rules.version, "routed_at": now}
        if decided_route.target == "needs_info":
            missing = outcomes[0].findings["missing"]
            transitions.apply(request, "route_to_needs_info", missing_parts=missing, queue="", priority=None,
                              sla_due_at=None, **common)
            note = RequestMessage.objects.create(
                request=request, kind=RequestMessage.Kind.INFO_REQUEST, author=None,
                body="Before review can start, please provide:\n" + "\n".join(f"• {p['message']}" for p in missing),
            )
            events.info_requested_event(request=request, actor=None, missing=missing, message_id=note.pk)
            notify_requester(request, "needs_info")
        else:
            transitions.apply(
                request, "route_to_queue", queue=decided_route.queue, priority=decided_route.priority,
                sla_due_at=now + timedelta(hours=decided_route.sla_hours), sla_breached=False,
                missing_parts=[], review_round=max(request.review_round, 1), **common,
            )
        events.request_routed_event(request=request, route=decided_route.as_dict(),
                                    workflow_version=WORKFLOW_VERSION, rules_version=rules.version)
    return request


def requests_screen(*, request_ids: list[int]) -> None:
    """A bulk filing's requests, one after the other; a retry skips those already screened."""
    for request_id in request_ids:
        request_screen(request_id=request_id)


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
            dispatch.screening_enqueue_on_commit([request.pk])
            swept.append(request.pk)
    return swept
