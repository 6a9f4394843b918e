"""Affected users' appeals: filed once by the post's author, decided by a second reviewer.

The Santa Clara Principles ask that a user whose content is actioned be told what was
done, why and at whose request, and be able to appeal to a person not involved in the
first decision. ``appeal_file`` and ``appeal_decide`` enforce exactly that; each runs in
one transaction and writes its audit event there.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import events
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.limits import MAX_RATIONALE_CHARS, MAX_STATEMENT_CHARS
from reports.models import Appeal, ExerciseRole, RequestItem, Status
from reports.tenancy import exercise_for_user, membership_for, require_exercise_open
from review.models import Decision

DECIDE_PERMISSION = "reports.decide_appeal"
# A notice (and an appeal) exists once the platform has acted: decided, or closed after a decision.
ACTED_STATUSES = (Status.DECIDED, Status.CLOSED)


def appealable_decision(item: RequestItem):
    """The decision an appeal on this item is about: the latest one, if it removed or restricted the post."""
    decision = Decision.objects.filter(item=item).order_by("-round").first()
    if decision is None or decision.action == Decision.Action.NO_ACTION:
        return None
    return decision


def appeal_file(*, user, item: RequestItem, statement: str) -> Appeal:
    """The author's appeal against the decision that removed or restricted their post. Once per item."""
    statement = (statement or "").strip()
    if not statement:
        raise InvalidInput({"statement": ["Say why the decision is wrong: a reviewer reads your statement."]},
                           "The appeal has no statement.")
    if len(statement) > MAX_STATEMENT_CHARS:
        raise InvalidInput({"statement": [f"Keep the statement under {MAX_STATEMENT_CHARS} characters."]},
                           "The statement is too long.")
    membership = membership_for(user)
    if membership is None or membership.role != ExerciseRole.AFFECTED_USER:
        raise NotAllowed("Only the author of a post can appeal a decision about it.")
    with transaction.atomic():
        # The item's row is the lock: of two appeals at once, the second sees the first.
        item = (RequestItem.objects.select_for_update(of=("self",))
                .select_related("request__agency", "request__exercise", "content").get(pk=item.pk))
        request = item.request
        if (item.content is None or item.content.author_id != membership.platform_account_id
                or request.exercise_id != membership.exercise_id):
            raise NotAllowed("Only the author of a post can appeal a decision about it.")
        require_exercise_open(request.exercise)
        decision = appealable_decision(item) if request.status in ACTED_STATUSES else None
        if decision is None:
            raise IllegalTransition("There is nothing to appeal: the platform has not removed or restricted "
                                    "this post.")
        if Appeal.objects.filter(item=item).exists():
            raise IllegalTransition("You have already appealed this decision; a decision can be appealed once.")
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(exercise=request.exercise, request=request, item=item,
                                               decision=decision, author=item.content.author, filed_by=user,
                                               statement=statement)
        except IntegrityError:
            raise IllegalTransition("You have already appealed this decision; a decision can be appealed "
                                    "once.") from None
        events.appeal_filed_event(appeal=appeal)
    return appeal


def appeal_decide(*, reviewer, appeal: Appeal, outcome: str, rationale: str) -> Appeal:
    """Uphold the decision, or reverse it and restore the post. Never by the reviewer who made the decision."""
    rationale = (rationale or "").strip()
    errors: dict[str, list[str]] = {}
    if outcome not in (Appeal.Status.UPHELD, Appeal.Status.REVERSED):
        errors["outcome"] = ["Choose upheld (the decision stands) or reversed (the post is restored)."]
    if not rationale:
        errors["rationale"] = ["Write the rationale: the author reads it and it is kept in the record."]
    elif len(rationale) > MAX_RATIONALE_CHARS:
        errors["rationale"] = [f"Keep the rationale under {MAX_RATIONALE_CHARS} characters."]
    if errors:
        raise InvalidInput(errors, "The appeal decision has invalid fields.")
    if not reviewer.has_perm(DECIDE_PERMISSION):
        raise NotAllowed("Only reviewers decide appeals.")
    with transaction.atomic():
        appeal = (Appeal.objects.select_for_update(of=("self",))
                  .select_related("decision", "item__content", "request__agency", "exercise").get(pk=appeal.pk))
        if appeal.exercise_id != exercise_for_user(reviewer).pk:
            raise NotAllowed("This appeal belongs to another exercise.")
        require_exercise_open(appeal.exercise)
        if appeal.decision.reviewer_id == reviewer.pk:
            raise NotAllowed("You made the decision under appeal: another reviewer must decide the appeal.")
        now = timezone.now()
        changed = Appeal.objects.filter(pk=appeal.pk, status=Appeal.Status.PENDING).update(
            status=outcome, decided_by=reviewer, decided_at=now, rationale=rationale)
        if changed != 1:
            raise IllegalTransition("This appeal has already been decided.")
        appeal.status, appeal.decided_by, appeal.decided_at, appeal.rationale = outcome, reviewer, now, rationale
        if outcome == Appeal.Status.REVERSED and appeal.item.content.restore(request=appeal.request):
            appeal.content_restored = True
            Appeal.objects.filter(pk=appeal.pk).update(content_restored=True)
        events.appeal_decided_event(appeal=appeal)
    return appeal
