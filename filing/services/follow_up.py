"""What a requester does after filing: answer a request for information, withdraw, ask for reconsideration."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit import events
from filing.inputs import request_as_input, validate_input
from filing.services.storing import (
    STATED_FIELDS,
    fields_apply,
    items_store,
    message_body,
    own_request_locked,
    provisions_cite,
    require_can_file,
)
from reports import transitions
from reports.errors import InvalidInput, NotAllowed
from reports.limits import MAX_MESSAGE_CHARS
from reports.models import CitedProvision, ReporterAccount, RequestItem, RequestMessage, Status, TakedownRequest
from review import dispatch
from review.routing import sla_due
from review.rules import active_rules

# Everything a request for information can be answered with: whatever screening or a reviewer
# found missing, the answer can supply it.
RESPONSE_FIELDS = ("items", "category", "legal_basis", "requested_action", "justification", "court_order")
MAX_RECONSIDERATIONS = 1


def request_respond(*, reporter: ReporterAccount, request: TakedownRequest, message: str,
                    changes: dict | None = None) -> TakedownRequest:
    """Answer a request for information, optionally correcting the request; it is screened again.

    ``changes`` may hold any of RESPONSE_FIELDS with the same meaning as at filing.
    """
    require_can_file(reporter)
    body = message_body(message)
    changes = changes or {}
    unknown = sorted(set(changes) - set(RESPONSE_FIELDS))
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed in a response."] for name in unknown})
    with transaction.atomic():
        request = own_request_locked(reporter, request)
        if not transitions.can("respond", request.status):
            raise transitions.IllegalTransition(f"{request.reference} is not waiting for information.")
        current = request_as_input(request)
        for name, value in changes.items():
            setattr(current, name, value)
        resolved = validate_input(current, exercise=request.exercise)
        fields_apply(request, current)
        request.save(update_fields=STATED_FIELDS)
        if "items" in changes:
            if request.decisions.exists():
                raise InvalidInput({"items": ["Items already decided on cannot be replaced."]})
            RequestItem.objects.filter(request=request).delete()
            items_store(request, resolved)
        if "legal_basis" in changes:
            CitedProvision.objects.filter(request=request).delete()
            provisions_cite(request, resolved.provisions)
        reply = RequestMessage.objects.create(request=request, kind=RequestMessage.Kind.INFO_RESPONSE,
                                              author=reporter.user, body=body)
        transitions.apply(request, "respond", missing_parts=[], queue="", priority=None, sla_due_at=None,
                          sla_breached=False)
        events.info_provided_event(request=request, actor=reporter.user, message_id=reply.pk,
                                   changed_fields=sorted(changes))
        dispatch.screening_enqueue_on_commit([request.pk])
    return request


def request_withdraw(*, reporter: ReporterAccount, request: TakedownRequest, reason: str = "") -> TakedownRequest:
    """Withdraw a request before it is decided."""
    require_can_file(reporter)
    with transaction.atomic():
        request = own_request_locked(reporter, request)
        previous = request.status
        if len(reason) > MAX_MESSAGE_CHARS:
            raise InvalidInput({"reason": [f"At most {MAX_MESSAGE_CHARS} characters."]})
        transitions.apply(request, "withdraw", claimed_by=None, claimed_at=None, closed_at=timezone.now())
        events.request_withdrawn_event(request=request, actor=reporter.user, previous_status=previous,
                                       reason=reason.strip())
    return request


def may_reconsider(request: TakedownRequest) -> bool:
    """A decided request may be reconsidered once."""
    return request.status == Status.DECIDED and request.review_round <= MAX_RECONSIDERATIONS


def request_reconsider(*, reporter: ReporterAccount, request: TakedownRequest, message: str) -> TakedownRequest:
    """Ask once for a decided request to be reviewed again, with reasons; it returns to its queue."""
    require_can_file(reporter)
    body = message_body(message)
    rules = active_rules()
    with transaction.atomic():
        request = own_request_locked(reporter, request)
        if request.status == Status.DECIDED and not may_reconsider(request):
            raise NotAllowed(f"{request.reference} has already been reconsidered once; the decision is final.")
        note = RequestMessage.objects.create(request=request, kind=RequestMessage.Kind.RECONSIDERATION,
                                             author=reporter.user, body=body)
        transitions.apply(request, "reconsider", outcome="", decided_at=None,
                          sla_due_at=sla_due(request.priority or 3, timezone.now(), rules), sla_breached=False,
                          review_round=request.review_round + 1)
        events.reconsideration_requested_event(request=request, actor=reporter.user, message_id=note.pk)
    return request
