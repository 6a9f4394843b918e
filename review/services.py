"""Every write of the review workflow: screening, claiming, escalating, deciding, rules.

The admin, Celery tasks and management commands all call these. Each runs in one
transaction, moves the request by compare-and-swap (reports.transitions), and writes
its audit event in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import events
from reports import roles, transitions
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.exercises import require_exercise_open
from reports.models import (
    ContentItem,
    ContentRestriction,
    Outcome,
    Queue,
    RequestItem,
    RequestMessage,
    Status,
    TakedownRequest,
)
from reports.notifications import notify_requester
from review.check_input import build_check_input
from review.checks import run_checks
from review.models import CheckResult, Decision, RuleSet, ScreeningRun
from review.routing import WORKFLOW_VERSION, route
from review.rules import compile_rules

logger = logging.getLogger(__name__)


# --- Screening -------------------------------------------------------------------------------

def request_screen(*, request_id: int) -> TakedownRequest | None:
    """Run the checks on a submitted request and route it. Safe to run any number of times.

    Two short transactions: the first moves ``submitted`` to ``screening`` (so the
    requester sees screening has begun), the second records every check result and
    the route at once. A worker killed between them leaves the request in
    ``screening``; the re-delivered task (or the sweeper) finishes it. A request in
    any other state is left alone.
    """
    from review.rules import active_ruleset

    with transaction.atomic():
        request = (TakedownRequest.objects.select_for_update(of=("self",)).select_related("exercise")
                   .filter(pk=request_id).first())
        if request is None or request.status not in (Status.SUBMITTED, Status.SCREENING):
            return request
        if request.status == Status.SUBMITTED:
            # The row is locked: the round read with it is the current one.
            transitions.apply(request, "start_screening", screening_round=request.screening_round + 1)
            events.screening_started_event(request=request)

    ruleset = active_ruleset()
    rules = compile_rules(ruleset.data)
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
            rules_version=ruleset.version, check_input=check_input, route=decided_route.as_dict(),
        )
        results = CheckResult.objects.bulk_create(
            CheckResult(screening=run, request=request, round=run.round, position=position, name=outcome.name,
                        version=outcome.version, verdict=outcome.verdict, flags=outcome.flags,
                        findings=outcome.findings, explanation=outcome.explanation)
            for position, outcome in enumerate(outcomes, start=1))
        events.check_completed_events(request=request, results=results)
        now = timezone.now()
        common = {"workflow_version": WORKFLOW_VERSION, "rules_version": ruleset.version, "routed_at": now}
        if decided_route.target == "needs_info":
            missing = outcomes[0].findings["missing"]
            transitions.apply(request, "route_to_needs_info", missing_parts=missing, queue="", priority=None,
                              sla_due_at=None, **common)
            note = RequestMessage.objects.create(
                request=request, kind=RequestMessage.Kind.INFO_REQUEST, author=None,
                body="Before review can start, please provide: " + "; ".join(p["message"] for p in missing),
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
                                    workflow_version=WORKFLOW_VERSION, rules_version=ruleset.version)
    return request


# --- Claims ------------------------------------------------------------------------------------

def reviewer_may_work(reviewer, queue: str) -> bool:
    tiers = roles.reviewer_tiers(reviewer)
    return roles.SENIOR_REVIEWER in tiers or roles.QUEUE_TIER.get(queue) in tiers


def _require_tier(reviewer, request: TakedownRequest) -> None:
    if not reviewer_may_work(reviewer, request.queue):
        raise NotAllowed(f"The {Queue(request.queue).label.lower()} queue is worked by the "
                         f"{roles.GROUP_NAMES[roles.QUEUE_TIER[request.queue]]} tier.")


def request_claim(*, reviewer, request: TakedownRequest) -> TakedownRequest:
    """Take a queued request for review. Of two reviewers claiming at once, exactly one succeeds."""
    from reports.selectors import exercise_for_user

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
    from reports.selectors import exercise_for_user

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


def _locked_claimed_by(reviewer, request: TakedownRequest) -> TakedownRequest:
    request = TakedownRequest.objects.select_for_update().select_related("agency").get(pk=request.pk)
    if request.status != Status.IN_REVIEW or request.claimed_by_id != reviewer.pk:
        raise NotAllowed(f"{request.reference} is not claimed by you; claim it first.")
    return request


def request_release(*, reviewer, request: TakedownRequest) -> TakedownRequest:
    with transaction.atomic():
        request = _locked_claimed_by(reviewer, request)
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
    with transaction.atomic():
        request = _locked_claimed_by(reviewer, request)
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
    with transaction.atomic():
        request = _locked_claimed_by(reviewer, request)
        note = RequestMessage.objects.create(request=request, kind=RequestMessage.Kind.INFO_REQUEST,
                                             author=reviewer, body=body)
        transitions.apply(request, "request_info", claimed_by=None, claimed_at=None, missing_parts=[
            {"field": "message", "message": body}])
        events.info_requested_event(request=request, actor=reviewer, missing=[], message_id=note.pk)
        notify_requester(request, "needs_info")
    return request


# --- Decisions ---------------------------------------------------------------------------------

ACTION_REASONS = {
    Decision.Action.REMOVE_GLOBALLY: {Decision.Reason.POLICY_VIOLATION},
    Decision.Action.RESTRICT_IN_JURISDICTION: {Decision.Reason.UNLAWFUL_LOCALLY},
    Decision.Action.NO_ACTION: set(Decision.Reason.values) - {Decision.Reason.POLICY_VIOLATION,
                                                              Decision.Reason.UNLAWFUL_LOCALLY},
}


def latest_checks(request: TakedownRequest) -> dict[str, CheckResult]:
    results = CheckResult.objects.filter(request=request, round=request.screening_round)
    return {result.name: result for result in results}


def decision_contradictions(*, request: TakedownRequest, item: RequestItem, action: str) -> list[str]:
    """How a decision would go against the automated findings (each needs a senior reviewer)."""
    checks = latest_checks(request)
    policy = checks.get("platform_policy")
    item_policy = next((e for e in (policy.findings.get("items", []) if policy else [])
                        if e["position"] == item.position), {"verdict": "not_assessed", "rules": []})
    law = checks.get("local_law")
    rights = checks.get("human_rights")
    problems = []
    if action == Decision.Action.REMOVE_GLOBALLY and item_policy["verdict"] != "violates":
        problems.append("the platform-policy check found no violation in this item")
    if action == Decision.Action.RESTRICT_IN_JURISDICTION:
        if rights and rights.verdict == "high":
            problems.append("the human-rights check marked this request high risk")
        if law and law.verdict == "unsupported":
            problems.append("the local-law check found no valid legal basis")
    if action == Decision.Action.NO_ACTION and any(r["severity"] == "critical" for r in item_policy["rules"]) \
            and item_policy["verdict"] == "violates":
        problems.append("the platform-policy check found a critical violation in this item")
    return problems


def _apply_visibility(*, request: TakedownRequest, item: RequestItem, action: str, previous: Decision | None) -> None:
    """Make the content's visibility follow the decision (and undo what an earlier round did)."""
    if item.content_id is None:
        return
    now = timezone.now()
    country = request.agency.jurisdiction_id
    if previous is not None and previous.action != action:
        if previous.action == Decision.Action.REMOVE_GLOBALLY:
            ContentItem.objects.filter(pk=item.content_id, removed_by_request=request).update(
                removed_globally_at=None, removed_by_request=None)
        if previous.action == Decision.Action.RESTRICT_IN_JURISDICTION:
            ContentRestriction.objects.filter(content_id=item.content_id, request=request,
                                              lifted_at__isnull=True).update(lifted_at=now)
    if action == Decision.Action.REMOVE_GLOBALLY:
        ContentItem.objects.filter(pk=item.content_id, removed_globally_at__isnull=True).update(
            removed_globally_at=now, removed_by_request=request)
    elif action == Decision.Action.RESTRICT_IN_JURISDICTION:
        exists = ContentRestriction.objects.filter(content_id=item.content_id, country=country,
                                                   lifted_at__isnull=True).exists()
        if not exists:
            ContentRestriction.objects.create(content_id=item.content_id, country=country, request=request)


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
        errors["action"] = ["Choose remove_globally, restrict_in_jurisdiction or no_action."]
    elif reason_code not in ACTION_REASONS[action]:
        allowed = ", ".join(sorted(ACTION_REASONS[action]))
        errors["reason_code"] = [f"For {action} the reason is one of: {allowed}."]
    if not (rationale or "").strip():
        errors["rationale"] = ["Write the rationale: it is shown to the requester and kept in the record."]
    if errors:
        raise InvalidInput(errors)

    with transaction.atomic():
        request = _locked_claimed_by(reviewer, item.request)
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


# --- Periodic work -----------------------------------------------------------------------------

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


def stuck_requests_sweep(*, now: datetime | None = None) -> list[int]:
    """Re-enqueue screening of requests left in submitted/screening (a lost message must not lose a request)."""
    from reports.services import enqueue_screening

    now = now or timezone.now()
    cutoff = now - settings.CRS_SWEEP_AFTER
    stuck = TakedownRequest.objects.filter(status__in=[Status.SUBMITTED, Status.SCREENING],
                                           last_activity_at__lt=cutoff)
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
            transaction.on_commit(lambda pk=request.pk: enqueue_screening(pk))
            swept.append(request.pk)
    return swept


def decided_requests_close(*, now: datetime | None = None, after_days: int = 14) -> int:
    """Close decided requests whose reconsideration window has passed."""
    from reports.services import request_close

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


# --- Rules -------------------------------------------------------------------------------------

def ruleset_activate(*, ruleset: RuleSet, actor) -> RuleSet:
    """Make ``ruleset`` the active rules for all future screenings (an audited act)."""
    with transaction.atomic():
        ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
        if ruleset.state == RuleSet.State.ACTIVE:
            return ruleset
        previous = RuleSet.objects.select_for_update().filter(state=RuleSet.State.ACTIVE).first()
        if previous is not None:
            previous.state = RuleSet.State.RETIRED
            previous.save(update_fields=["state"])
        ruleset.state = RuleSet.State.ACTIVE
        ruleset.activated_at = timezone.now()
        ruleset.activated_by = actor
        ruleset.save(update_fields=["state", "activated_at", "activated_by"])
        events.ruleset_activated_event(ruleset=ruleset, actor=actor,
                                       previous_version=previous.version if previous else None)
    return ruleset


def ruleset_store(*, data: dict) -> RuleSet:
    """Store a rule set as a candidate (or return the stored one with the same version and content)."""
    from review.rules import rules_digest, validate_rules

    validate_rules(data)
    digest = rules_digest(data)
    existing = RuleSet.objects.filter(version=data["version"]).first()
    if existing is not None:
        if existing.data_sha256 != digest:
            raise InvalidInput({"version": [f"Rules version {data['version']} already exists with other content; "
                                            "give the new rules a new version."]})
        return existing
    return RuleSet.objects.create(version=data["version"], data=data, data_sha256=digest,
                                  description=data.get("description", ""))
