"""Reads for reviewers: the queues, the request list and everything the request page shows.

Every query is scoped to one exercise and issues a fixed number of queries, however
many requests, items or checks there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from audit.stamps import record_stamp
from reports import roles
from reports.models import ContentRestriction, Exercise, Jurisdiction, Queue, RequestItem, Status, TakedownRequest
from review.models import CheckResult, Decision, item_policy

OPEN_STATES = (Status.QUEUED, Status.IN_REVIEW)
QUEUE_COUNTS_CACHE_SECONDS = 60


# --- Queues ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueSummary:
    code: str
    label: str
    open: int
    unclaimed: int
    overdue: int
    claimed_by_me: int
    may_work: bool


def queue_overview(*, exercise: Exercise, user, now: datetime | None = None) -> list[QueueSummary]:
    """Each queue with its open, unclaimed and overdue requests (one query for all queues)."""
    now = now or timezone.now()
    counts = _queue_counts(exercise=exercise, user=user, now=now)
    summaries = []
    for queue in Queue:
        row = counts.get(queue.value, {})
        summaries.append(QueueSummary(
            code=queue.value, label=queue.label, open=row.get("open", 0), unclaimed=row.get("unclaimed", 0),
            overdue=row.get("overdue", 0), claimed_by_me=row.get("mine", 0),
            may_work=roles.reviewer_may_work(user, queue.value)))
    return summaries


def _queue_counts(*, exercise: Exercise, user, now: datetime) -> dict[str, dict]:
    """One GROUP BY over the open requests, kept until the record changes or the minute turns.

    A request that falls overdue while the counts are kept is counted when the minute turns:
    as often as the SLA watcher looks.
    """
    minute = now.replace(second=0, microsecond=0)
    key = f"crs.queues:{record_stamp(exercise)}:{user.pk}:{minute.isoformat()}"
    counts = cache.get(key)
    if counts is None:
        rows = (TakedownRequest.objects.filter(exercise=exercise, status__in=OPEN_STATES)
                .values("queue")
                .annotate(open=Count("id"),
                          unclaimed=Count("id", filter=Q(status=Status.QUEUED)),
                          overdue=Count("id", filter=Q(sla_due_at__lt=now)),
                          mine=Count("id", filter=Q(claimed_by_id=user.pk)))
                .order_by())
        counts = {row["queue"]: row for row in rows}
        cache.set(key, counts, QUEUE_COUNTS_CACHE_SECONDS)
    return counts


def claims_of(*, exercise: Exercise, user) -> QuerySet[TakedownRequest]:
    """The requests this reviewer holds, most urgent first."""
    return (TakedownRequest.objects.filter(exercise=exercise, status=Status.IN_REVIEW, claimed_by=user)
            .select_related("agency").order_by("priority", "sla_due_at", "id"))


# --- The request list -----------------------------------------------------------------------

def _latest_verdict(check: str) -> Subquery:
    return Subquery(CheckResult.objects.filter(request=OuterRef("pk"), round=OuterRef("screening_round"), name=check)
                    .values("verdict")[:1])


def requests_for_review(*, exercise: Exercise) -> QuerySet[TakedownRequest]:
    """Every request past the requester's draft, with what the list shows, in one query per page."""
    return (TakedownRequest.objects.filter(exercise=exercise).exclude(status=Status.DRAFT)
            .select_related("agency__jurisdiction", "claimed_by")
            # item_count is kept on the row by filing (review/tallies.py): no count per row.
            .annotate(policy_verdict=_latest_verdict("platform_policy"),
                      law_verdict=_latest_verdict("local_law"),
                      risk=_latest_verdict("human_rights")))


def sla_state(request: TakedownRequest, *, now: datetime | None = None) -> str:
    """overdue / due_today / later for open requests; "" when no SLA runs."""
    if request.status not in OPEN_STATES or request.sla_due_at is None:
        return ""
    now = now or timezone.now()
    if request.sla_due_at < now:
        return "overdue"
    if request.sla_due_at < day_end(now):
        return "due_today"
    return "later"


def day_end(now: datetime) -> datetime:
    """Midnight at the end of today, in the installation's time zone."""
    local = timezone.localtime(now)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


# --- Decisions against the findings ----------------------------------------------------------

def latest_checks(request: TakedownRequest) -> dict[str, CheckResult]:
    results = CheckResult.objects.filter(request=request, round=request.screening_round)
    return {result.name: result for result in results}


def decision_contradictions(*, request: TakedownRequest, item: RequestItem, action: str) -> list[str]:
    """How a decision would go against the automated findings (each needs a senior reviewer)."""
    checks = latest_checks(request)
    finding = item_policy(checks.get(CheckResult.Name.PLATFORM_POLICY), item.position)
    law = checks.get("local_law")
    rights = checks.get("human_rights")
    problems = []
    if action == Decision.Action.REMOVE_GLOBALLY and finding["verdict"] != "violates":
        problems.append("the platform-policy check found no violation in this item")
    if action == Decision.Action.RESTRICT_IN_JURISDICTION:
        if rights and rights.verdict == "high":
            problems.append("the human-rights check marked this request high risk")
        if law and law.verdict == "unsupported":
            problems.append("the local-law check found no valid legal basis")
    if action == Decision.Action.NO_ACTION and any(r["severity"] == "critical" for r in finding["rules"]) \
            and finding["verdict"] == "violates":
        problems.append("the platform-policy check found a critical violation in this item")
    return problems


# --- The request page -----------------------------------------------------------------------

def request_for_review(*, exercise: Exercise, pk) -> TakedownRequest | None:
    """One request with everything its page reads, prefetched."""
    return (TakedownRequest.objects.filter(exercise=exercise).exclude(status=Status.DRAFT)
            .select_related("agency__jurisdiction", "claimed_by", "exercise")
            .prefetch_related(
                Prefetch("items", queryset=RequestItem.objects.select_related("content__author").order_by("position")),
                Prefetch("items__decisions", queryset=Decision.objects.select_related("reviewer").order_by("round")),
                "citations__provision",
                Prefetch("check_results", queryset=CheckResult.objects.order_by("-round", "position")),
                "messages",
                "evidence",
            )
            .filter(pk=pk).first())


@dataclass
class ItemView:
    item: RequestItem
    snapshot: dict
    policy: dict
    decisions: list[Decision]
    current: Decision | None
    restricted_in: list[str] = field(default_factory=list)

    @property
    def posted_at(self) -> datetime | None:
        value = self.snapshot.get("posted_at")
        return datetime.fromisoformat(value) if value else None

    @property
    def translation(self) -> str:
        """The post in English, if it is in another language (kept in the snapshot since translations exist)."""
        return self.snapshot.get("translation") or (self.item.content.translation if self.item.content else "")

    @property
    def decided_this_round(self) -> bool:
        return self.current is not None and self.current.round == self.item.request.review_round


@dataclass
class CheckRound:
    round: int
    checks: list[CheckResult]


def country_names() -> dict[str, str]:
    """Country code -> name, from the jurisdictions (one small query)."""
    return dict(Jurisdiction.objects.values_list("code", "name"))


def request_page(request: TakedownRequest) -> dict:
    """What the request page shows, built from a request loaded by ``request_for_review``."""
    rounds: dict[int, list[CheckResult]] = {}
    for result in request.check_results.all():
        rounds.setdefault(result.round, []).append(result)
    latest_round = rounds.get(request.screening_round, [])
    earlier = [CheckRound(number, checks) for number, checks in sorted(rounds.items(), reverse=True)
               if number != request.screening_round]
    policy = next((c for c in latest_round if c.name == CheckResult.Name.PLATFORM_POLICY), None)

    items = []
    content_ids = [item.content_id for item in request.items.all() if item.content_id]
    restrictions: dict[int, list[str]] = {}
    if content_ids:
        for content_id, country in (ContentRestriction.objects.filter(content_id__in=content_ids,
                                                                      lifted_at__isnull=True)
                                    .order_by("country").values_list("content_id", "country")):
            restrictions.setdefault(content_id, []).append(country)
    for item in request.items.all():
        decisions = list(item.decisions.all())
        items.append(ItemView(
            item=item, snapshot=item.snapshot or {},
            policy=item_policy(policy, item.position),
            decisions=decisions, current=decisions[-1] if decisions else None,
            restricted_in=restrictions.get(item.content_id, [])))
    return {
        "items": items,
        "request_policy": policy.verdict if policy else "",
        "countries": country_names(),
        "checks": latest_round,
        "earlier_rounds": earlier,
        "citations": list(request.citations.all()),
        "evidence": list(request.evidence.all()),
        "correspondence": list(request.messages.all()),
    }


def decision_warnings(*, request: TakedownRequest, item: RequestItem, user) -> list[dict]:
    """For each possible decision on ``item``: how it would contradict the checks, and who may make it."""
    senior = roles.SENIOR_REVIEWER in roles.reviewer_tiers(user)
    warnings = []
    for action in Decision.Action:
        problems = decision_contradictions(request=request, item=item, action=action.value)
        warnings.append({"action": action.value, "label": action.label, "contradictions": problems,
                         "needs_senior": bool(problems) and not senior})
    return warnings
