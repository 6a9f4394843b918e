"""Reads for requesters: their agency's requests in their exercise, and the catalogs they cite from."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from reports.models import ContentItem, Exercise, LegalProvision, ReporterAccount, RequestItem, TakedownRequest
from review.models import CheckResult, Decision


def request_detail_queryset() -> QuerySet[TakedownRequest]:
    """A request with everything its detail page and API representation read, in a fixed number of queries."""
    return TakedownRequest.objects.select_related("agency__jurisdiction", "exercise").prefetch_related(
        Prefetch("items", queryset=RequestItem.objects.select_related("content__author").order_by("position")),
        Prefetch("items__decisions", queryset=Decision.objects.order_by("round")),
        "citations__provision",
        Prefetch("check_results", queryset=CheckResult.objects.order_by("round", "position")),
        "messages",
        "evidence",
    )


def requests_for_agency(*, reporter: ReporterAccount) -> QuerySet[TakedownRequest]:
    """The requests a reporter may see: their own agency's, in their own exercise."""
    return TakedownRequest.objects.filter(exercise=reporter.exercise, agency=reporter.agency)


def request_for_reporter(*, reporter: ReporterAccount, reference: str) -> TakedownRequest:
    """One of the agency's requests; another agency's reference raises DoesNotExist (answered as 404)."""
    return request_detail_queryset().get(exercise=reporter.exercise, agency=reporter.agency, reference=reference)


def provisions_for_jurisdiction(code: str) -> QuerySet[LegalProvision]:
    return LegalProvision.objects.filter(jurisdiction_id=code.upper()).order_by("code")


def content_for_exercise(*, exercise: Exercise) -> QuerySet[ContentItem]:
    return ContentItem.objects.filter(exercise=exercise).select_related("author")


def latest_decisions(request: TakedownRequest) -> dict[int, Decision | None]:
    """item id -> its decision in the latest round that has one (uses the prefetched decisions)."""
    latest = {}
    for item in request.items.all():
        decisions = list(item.decisions.all())
        latest[item.pk] = decisions[-1] if decisions else None
    return latest
