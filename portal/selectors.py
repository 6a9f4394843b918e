"""Reads for the reporters' portal, each scoped to the reporter's exercise and agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from rest_framework.authtoken.models import Token

from filing.selectors import content_for_exercise, requests_for_agency
from reports import roles
from reports.models import (
    Appeal,
    ContentItem,
    ContentRestriction,
    Evidence,
    Exercise,
    PlatformAccount,
    ReporterAccount,
    RequestItem,
    Status,
    TakedownRequest,
)
from reports.tenancy import exercise_for_user, reporter_account_for
from review.models import CheckResult, Decision, item_policy

# Requests whose status can no longer change: the page stops asking for updates.
FINAL_STATUSES = (Status.CLOSED, Status.WITHDRAWN)


def _ahead_in_queue() -> Subquery:
    """How many queued requests a reviewer would claim before this one (request_claim_next's order)."""
    ahead = (TakedownRequest.objects
             .filter(exercise=OuterRef("exercise"), queue=OuterRef("queue"), status=Status.QUEUED,
                     claimed_by__isnull=True)
             .filter(Q(priority__lt=OuterRef("priority"))
                     | Q(priority=OuterRef("priority"), sla_due_at__lt=OuterRef("sla_due_at"))
                     | Q(priority=OuterRef("priority"), sla_due_at=OuterRef("sla_due_at"), id__lt=OuterRef("id")))
             .order_by().values("exercise").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0))


def with_queue_position(queryset: QuerySet[TakedownRequest]) -> QuerySet[TakedownRequest]:
    return queryset.annotate(queue_ahead=_ahead_in_queue())


def queue_position(request: TakedownRequest) -> int | None:
    """1 for the next request a reviewer of its queue will take; None when it is not waiting in a queue."""
    if request.status != Status.QUEUED:
        return None
    ahead = with_queue_position(TakedownRequest.objects.filter(pk=request.pk)).values_list("queue_ahead", flat=True)
    return ahead.get() + 1


def dashboard_requests(*, reporter: ReporterAccount, status: str = "", category: str = "",
                       search: str = "") -> QuerySet[TakedownRequest]:
    """The agency's requests, newest activity first, filtered and searched, with their queue positions."""
    queryset = requests_for_agency(reporter=reporter)
    if status:
        queryset = queryset.filter(status=status)
    if category:
        queryset = queryset.filter(category=category)
    search = search.strip()
    if search:
        in_items = RequestItem.objects.filter(request=OuterRef("pk")).filter(
            Q(content__code__iexact=search) | Q(content__text__icontains=search) | Q(url__icontains=search))
        queryset = queryset.filter(Q(reference__icontains=search) | Q(justification__icontains=search)
                                   | Exists(in_items))
    return queryset.order_by("-last_activity_at", "-id")


def with_dashboard_figures(requests: list[TakedownRequest]) -> list[TakedownRequest]:
    """One page of the dashboard, each request with its queue position (its number of items is kept on its row).

    Computed for the page's rows only, after paginating: an agency with years of requests
    would otherwise count items and queue places for every one of them on every view.
    """
    figures = {row["pk"]: row for row in with_queue_position(TakedownRequest.objects.filter(
        pk__in=[r.pk for r in requests])).values("pk", "queue_ahead")}
    for request in requests:
        request.queue_ahead = figures[request.pk]["queue_ahead"]
    return requests


def status_counts(*, reporter: ReporterAccount) -> dict[str, int]:
    rows = (requests_for_agency(reporter=reporter).order_by().values("status")
            .annotate(n=Count("id")).values_list("status", "n"))
    return dict(rows)


def current_draft(*, reporter: ReporterAccount) -> TakedownRequest | None:
    """The draft the platform's Report button adds to (the same one reports.services.draft_add_content picks)."""
    return (TakedownRequest.objects.filter(exercise=reporter.exercise, agency=reporter.agency,
                                           submitted_by=reporter.user, status=Status.DRAFT)
            .order_by("-created_at").first())


def draft_content_codes(draft: TakedownRequest | None) -> set[str]:
    if draft is None:
        return set()
    return set(draft.items.filter(content__isnull=False).values_list("content__code", flat=True))


def feed(*, exercise: Exercise, viewer_country: str | None, country: str = "", language: str = "",
         persona: str = "", posted_from: date | None = None, posted_to: date | None = None
         ) -> QuerySet[ContentItem]:
    """The platform's posts, newest first, each with its active restriction in the viewer's country (if any)."""
    queryset = content_for_exercise(exercise=exercise)
    if country:
        queryset = queryset.filter(country=country)
    if language:
        queryset = queryset.filter(language=language)
    if persona:
        queryset = queryset.filter(author__persona=persona)
    if posted_from:
        queryset = queryset.filter(posted_at__date__gte=posted_from)
    if posted_to:
        queryset = queryset.filter(posted_at__date__lte=posted_to)
    restrictions = ContentRestriction.objects.filter(lifted_at__isnull=True, country=viewer_country or "")
    return queryset.prefetch_related(
        Prefetch("restrictions", queryset=restrictions, to_attr="viewer_restrictions")).order_by("-posted_at", "code")


def feed_choices(*, exercise: Exercise) -> tuple[list[str], list[str]]:
    """The countries and languages that occur in the exercise's posts, for the feed's filters."""
    content = ContentItem.objects.filter(exercise=exercise).order_by()
    countries = sorted(set(content.values_list("country", flat=True)))
    languages = sorted(set(content.values_list("language", flat=True)))
    return countries, languages


def evidence_for_viewer(*, user, reference: str, evidence_id: int) -> Evidence | None:
    """An evidence file, if ``user`` may see its request: a verified reporter of the owning agency, or
    platform staff with ``reports.view_evidence`` in the same exercise. Anyone else gets None (a 404)."""
    exercise = exercise_for_user(user)
    evidence = (Evidence.objects.select_related("request")
                .filter(pk=evidence_id, request__reference=reference, request__exercise=exercise).first())
    if evidence is None:
        return None
    reporter = reporter_account_for(user)
    if reporter is not None:
        allowed = reporter.can_file and evidence.request.agency_id == reporter.agency_id
    else:
        allowed = user.is_active and user.is_staff and user.has_perm("reports.view_evidence")
    return evidence if allowed else None


# --- Affected users' notices -------------------------------------------------------------------

@dataclass
class Notice:
    """What the Santa Clara Principles ask an affected user be told about an action on their post."""

    item: RequestItem
    request: TakedownRequest
    content: ContentItem
    decision: object            # review.models.Decision
    where: str                  # "worldwide" or the country's name
    rules: list[str]            # the community standards broken (global removal)
    provisions: list[str]       # the laws cited (local restriction)
    still_in_force: bool
    appeal: Appeal | None

    @property
    def removed_globally(self) -> bool:
        return self.decision.action == "remove_globally"


def notices_for_author(*, account: PlatformAccount) -> list[Notice]:
    """Every removal or restriction of the account's posts, newest first, with its appeal (a fixed few queries).

    A notice exists once a request is decided and its latest decision on the item removed or
    restricted the post; a decision of no action needs no notice.
    """
    items = (RequestItem.objects
             .filter(content__author=account, request__exercise_id=account.exercise_id,
                     request__status__in=(Status.DECIDED, Status.CLOSED))
             .select_related("request__agency__jurisdiction", "content")
             .prefetch_related(Prefetch("decisions", queryset=Decision.objects.order_by("round")),
                               "appeals", "request__citations__provision",
                               Prefetch("request__check_results",
                                        queryset=CheckResult.objects.filter(name=CheckResult.Name.PLATFORM_POLICY)),
                               Prefetch("content__restrictions",
                                        queryset=ContentRestriction.objects.filter(lifted_at__isnull=True)))
             .order_by("-request__decided_at", "-id"))
    notices = []
    for item in items:
        decisions = list(item.decisions.all())
        decision = decisions[-1] if decisions else None
        if decision is None or decision.action == Decision.Action.NO_ACTION:
            continue
        request, content = item.request, item.content
        country = request.agency.jurisdiction
        if decision.action == Decision.Action.REMOVE_GLOBALLY:
            policy = next((r for r in request.check_results.all() if r.round == request.screening_round), None)
            rules = [f"{rule['rule']} {rule['title']}" for rule in item_policy(policy, item.position)["rules"]]
            notices.append(Notice(item=item, request=request, content=content, decision=decision, where="worldwide",
                                  rules=rules, provisions=[],
                                  still_in_force=content.removed_globally_at is not None
                                  and content.removed_by_request_id == request.pk,
                                  appeal=next(iter(item.appeals.all()), None)))
        else:
            provisions = [f"{c.provision.citation} — {c.provision.title}" for c in request.citations.all()]
            in_force = any(r.request_id == request.pk for r in content.restrictions.all())
            notices.append(Notice(item=item, request=request, content=content, decision=decision, where=country.name,
                                  rules=[], provisions=provisions, still_in_force=in_force,
                                  appeal=next(iter(item.appeals.all()), None)))
    return notices


def notice_for_author(*, account: PlatformAccount, item_id: int) -> Notice | None:
    return next((notice for notice in notices_for_author(account=account) if notice.item.pk == item_id), None)


# --- The API ---------------------------------------------------------------------------------

def api_role(user) -> str | None:
    """The role someone uses the API in (a verified reporter files, an auditor reads), or None."""
    account = reporter_account_for(user)
    if account is not None:
        return roles.REPORTER if account.can_file else None
    return roles.AUDITOR if roles.is_auditor(user) else None


def api_token_of(user) -> Token | None:
    return Token.objects.filter(user=user).first()
