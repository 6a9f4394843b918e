"""Claims: a reviewer takes a queued request, works it, and releases, escalates or asks the requester.

Of two reviewers claiming at once exactly one succeeds (compare-and-swap); a claim lapses
after CRS_CLAIM_TTL without a decision, and a request past its SLA moves up one priority.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import events
from reports import roles, transitions
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.limits import MAX_MESSAGE_CHARS, MAX_NOTE_CHARS
from reports.models import Queue, RequestMessage, Status, TakedownRequest
from reports.notifications import notify_requester
from reports.roles import reviewer_may_work
from reports.tenancy import exercise_for_user, require_exercise_open


def _require_tier(reviewer, request: TakedownRequest) -> None:
    if not reviewer_may_work(reviewer, request.queue):
        raise NotAllowed(f"The {Queue(request.queue).label.lower()} queue is worked by the "
                         f"{roles.GROUP_NAMES[roles.QUEUE_TIER[request.queue]]} tier.")


def request_claim(*, reviewer, request: TakedownRequest) -> TakedownRequest:
    """Take a queued request for review. Of two reviewers claiming at once, exactly one succeeds."""
    _require_tier(reviewer, request)
    exercise = exercise_for_user(reviewer)
    if request.exercise_id != exercise.pk:
        raise NotAllowed(f"{request.reference} belongs to another exercise.")
    require_exercise_open(exercise)
    with transaction.atomic():
        # The tier was checked against the queue as the caller saw it: claim only if it is still that queue.
        transitions.apply(request, "claim", extra_filter={"claimed_by__isnull": True, "queue": request.queue},
                          claimed_by=reviewer, claimed_at=timezone.now())
        events.request_claimed_event(request=request, reviewer=reviewer)
    return request


def request_claim_next(*, reviewer, queue: str) -> TakedownRequest | None:
    """Claim the most urgent unclaimed request of a queue (priority, then SLA due time)."""
    if not reviewer_may_work(reviewer, queue):
        raise NotAllowed(f"You do not work the {Queue(queue).label.lower()} queue.")
    exercise = exercise_for_user(reviewer)
    require_exercise_open(exercise)
    for _attempt in range(5):
        with transaction.atomic():
            candidate = (TakedownRequest.objects.select_for_update(skip_locked=True)
                         .filter(exercise=exercise, queue=queue, status=Status.QUEUED, claimed_by__isnull=True)
                         .order_by("priority", "sla_due_at", "id").first())
            if candidate is None:
                return None
            try:
                transitions.apply(candidate, "claim", extra_filter={"claimed_by__isnull": True},
                                  claimed_by=reviewer, claimed_at=timezone.now())
            except IllegalTransition:
                continue  # taken between the read and the update (SQLite has no row locks): try the next one
            events.request_claimed_event(request=candidate, reviewer=reviewer)
            return candidate
    return None


def locked_claimed_by(reviewer, request: TakedownRequest) -> TakedownRequest:
    request = TakedownRequest.objects.select_for_update().select_related("agency").get(pk=request.pk)
    if request.status != Status.IN_REVIEW or request.claimed_by_id != reviewer.pk:
        raise NotAllowed(f"{request.reference} is not claimed by you; claim it first.")
    return request


def request_release(*, reviewer, request: TakedownRequest) -> TakedownRequest:
    with transaction.atomic():
        request = locked_claimed_by(reviewer, request)
        transitions.apply(request, "release", claimed_by=None, claimed_at=None)
        events.claim_released_event(request=request, reviewer=reviewer)
    return request


def claims_expire(*, now: datetime | None = None) -> int:
    """Return stale claims to their queue so that no request waits on an absent reviewer."""
    now = now or timezone.now()
    stale = TakedownRequest.objects.filter(status=Status.IN_REVIEW, claimed_at__lt=now - settings.CRS_CLAIM_TTL)
    released = 0
    for request in stale.select_related("claimed_by").only("pk", "reference", "exercise", "queue", "claimed_by"):
        reviewer = request.claimed_by
        with transaction.atomic():
            try:
                transitions.apply(request, "release", extra_filter={"claimed_by": reviewer,
                                                                    "claimed_at__lt": now - settings.CRS_CLAIM_TTL},
                                  claimed_by=None, claimed_at=None)
            except IllegalTransition:
                continue
            events.claim_released_event(request=request, reviewer=reviewer, expired=True)
            released += 1
    return released


ESCALATION_TARGETS = (Queue.LEGAL, Queue.HUMAN_RIGHTS)


def request_escalate(*, reviewer, request: TakedownRequest, to_queue: str, note: str) -> TakedownRequest:
    """Send a claimed request to the legal or human-rights tier, with a note saying why."""
    if to_queue not in ESCALATION_TARGETS:
        raise InvalidInput({"to_queue": ["Escalate to the legal or the human-rights queue."]})
    if not (note or "").strip():
        raise InvalidInput({"note": ["Say why the request is escalated."]})
    if len(note.strip()) > MAX_NOTE_CHARS:
        raise InvalidInput({"note": [f"At most {MAX_NOTE_CHARS} characters."]})
    with transaction.atomic():
        request = locked_claimed_by(reviewer, request)
        if request.queue == to_queue:
            raise InvalidInput({"to_queue": ["The request is already in that queue."]})
        previous = request.queue
        transitions.apply(request, "release", queue=to_queue, claimed_by=None, claimed_at=None,
                          priority=min(request.priority or 3, 2))
        events.request_escalated_event(request=request, actor=reviewer, from_queue=previous, to_queue=to_queue,
                                       note=note.strip())
    return request


def request_ask_info(*, reviewer, request: TakedownRequest, message: str) -> TakedownRequest:
    """Ask the requester for information; the request waits in ``needs_info`` and is screened again after."""
    body = (message or "").strip()
    if not body:
        raise InvalidInput({"message": ["Say what information is needed."]})
    if len(body) > MAX_MESSAGE_CHARS:
        raise InvalidInput({"message": [f"At most {MAX_MESSAGE_CHARS} characters."]})
    with transaction.atomic():
        request = locked_claimed_by(reviewer, request)
        note = RequestMessage.objects.create(request=request, kind=RequestMessage.Kind.INFO_REQUEST,
                                             author=reviewer, body=body)
        transitions.apply(request, "request_info", claimed_by=None, claimed_at=None, missing_parts=[
            {"field": "message", "message": body}])
        events.info_requested_event(request=request, actor=reviewer, missing=[], message_id=note.pk)
        notify_requester(request, "needs_info")
    return request


def sla_watch(*, now: datetime | None = None) -> int:
    """Flag requests past their SLA and raise their priority by one step (once)."""
    now = now or timezone.now()
    overdue = TakedownRequest.objects.filter(status__in=[Status.QUEUED, Status.IN_REVIEW], sla_breached=False,
                                             sla_due_at__lt=now)
    flagged = 0
    for request in overdue.only("pk", "reference", "exercise", "queue", "priority", "sla_due_at"):
        before = request.priority or 3
        with transaction.atomic():
            changed = TakedownRequest.objects.filter(pk=request.pk, sla_breached=False,
                                                     status__in=[Status.QUEUED, Status.IN_REVIEW]).update(
                sla_breached=True, priority=max(1, before - 1), last_activity_at=now)
            if changed:
                request.priority = max(1, before - 1)
                events.sla_breached_event(request=request, priority_before=before)
                flagged += 1
    return flagged
