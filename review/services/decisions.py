"""Decisions: a reviewer decides each item of a request they hold; the request's outcome follows.

A decision's reason must fit its action and it carries a rationale; one against the automated
findings needs the senior tier. The post's visibility follows the decision (reports.models.ContentItem).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import events
from reports import roles, transitions
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.limits import MAX_RATIONALE_CHARS
from reports.models import Outcome, RequestItem, Status, TakedownRequest
from reports.notifications import notify_requester
from reports.tenancy import require_exercise_open
from review.models import Decision
from review.selectors import decision_contradictions
from review.services.claims import locked_claimed_by
from review.services.tallies import request_decision_tally

ACTION_REASONS = {
    Decision.Action.REMOVE_GLOBALLY: {Decision.Reason.POLICY_VIOLATION},
    Decision.Action.RESTRICT_IN_JURISDICTION: {Decision.Reason.UNLAWFUL_LOCALLY},
    Decision.Action.NO_ACTION: set(Decision.Reason.values) - {Decision.Reason.POLICY_VIOLATION,
                                                              Decision.Reason.UNLAWFUL_LOCALLY},
}


def reasons_for(action: str) -> str:
    """Which reasons fit an action, in words: the one it needs, or the ones it must not give."""
    fitting = ACTION_REASONS[action]
    named = sorted(fitting) if len(fitting) == 1 else sorted(set(Decision.Reason.values) - fitting)
    listed = " or ".join(f"“{Decision.Reason(code).label}”" for code in named)
    name = Decision.Action(action).label.split(" (")[0]
    return (f"For “{name}” the reason must be {listed}." if len(fitting) == 1
            else f"For “{name}” the reason may be anything but {listed}.")


def _apply_visibility(*, request: TakedownRequest, item: RequestItem, action: str, previous: Decision | None) -> None:
    """Make the post's visibility follow the decision (and undo what an earlier round's decision did)."""
    content = item.content
    if content is None:
        return
    if previous is not None and previous.action != action:
        content.restore(request=request)
    if action == Decision.Action.REMOVE_GLOBALLY:
        content.remove_globally(request=request)
    elif action == Decision.Action.RESTRICT_IN_JURISDICTION:
        content.restrict_in(request.agency.jurisdiction_id, request=request)


def _outcome(actions: list[str]) -> str:
    acted = [a for a in actions if a != Decision.Action.NO_ACTION]
    if not acted:
        return Outcome.NONE
    return Outcome.FULL if len(acted) == len(actions) else Outcome.PARTIAL


def item_decide(*, reviewer, item: RequestItem, action: str, reason_code: str, rationale: str) -> Decision:
    """Decide one item of a request the reviewer holds.

    The rationale is required and the reason must fit the action. A decision that goes
    against the automated findings needs the senior tier. When the last item of the
    round is decided, the request is decided (full, partial or none) and the requester told.
    """
    errors: dict[str, list[str]] = {}
    if action not in Decision.Action.values:
        errors["action"] = ["Choose an action: remove globally, restrict in the requester's jurisdiction, "
                            "or no action."]
    elif reason_code not in ACTION_REASONS[action]:
        errors["reason_code"] = [reasons_for(action)]
    if not (rationale or "").strip():
        errors["rationale"] = ["Write the rationale: it is shown to the requester and kept in the record."]
    elif len(rationale.strip()) > MAX_RATIONALE_CHARS:
        errors["rationale"] = [f"Keep the rationale under {MAX_RATIONALE_CHARS} characters."]
    if errors:
        raise InvalidInput(errors)

    with transaction.atomic():
        request = locked_claimed_by(reviewer, item.request)
        require_exercise_open(request.exercise)
        item = RequestItem.objects.select_related("content").get(pk=item.pk, request=request)
        if Decision.objects.filter(item=item, round=request.review_round).exists():
            raise IllegalTransition(f"Item {item.position} of {request.reference} is already decided in this round.")
        contradictions = decision_contradictions(request=request, item=item, action=action)
        tiers = roles.reviewer_tiers(reviewer)
        if contradictions and roles.SENIOR_REVIEWER not in tiers:
            raise NotAllowed("This decision goes against the automated findings ("
                             + "; ".join(contradictions) + "): a senior reviewer must make it.")
        previous = (Decision.objects.filter(item=item, round__lt=request.review_round)
                    .order_by("-round").first())
        try:
            with transaction.atomic():
                decision = Decision.objects.create(
                    request=request, item=item, round=request.review_round, action=action, reason_code=reason_code,
                    rationale=rationale.strip(), reviewer=reviewer, reviewer_tier=roles.role_of(reviewer),
                    contradicts_checks=bool(contradictions),
                )
        except IntegrityError:
            raise IllegalTransition(f"Item {item.position} of {request.reference} is already decided.") from None
        request_decision_tally(request=request, action=action)
        _apply_visibility(request=request, item=item, action=action, previous=previous)
        events.item_decided_event(decision=decision)

        round_actions = list(Decision.objects.filter(request=request, round=request.review_round)
                             .values_list("action", flat=True))
        if len(round_actions) == request.items.count():
            transitions.apply(request, "decide", outcome=_outcome(round_actions), decided_at=timezone.now(),
                              claimed_by=None, claimed_at=None)
            events.request_decided_event(request=request, actor=reviewer)
            notify_requester(request, "decided")
    return decision


def request_close(*, request: TakedownRequest, reason: str, actor=None) -> TakedownRequest:
    """Close a decided request: the record is final."""
    with transaction.atomic():
        transitions.apply(request, "close", closed_at=timezone.now())
        events.request_closed_event(request=request, actor=actor, reason=reason)
    return request


def decided_requests_close(*, now: datetime | None = None, after_days: int = 14) -> int:
    """Close decided requests whose reconsideration window has passed."""
    now = now or timezone.now()
    closed = 0
    for request in TakedownRequest.objects.filter(status=Status.DECIDED,
                                                  decided_at__lt=now - timedelta(days=after_days)):
        try:
            request_close(request=request, reason="reconsideration window passed")
            closed += 1
        except IllegalTransition:
            continue
    return closed
