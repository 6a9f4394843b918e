"""Reads about requests, scoped to one exercise: no query here crosses exercises."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from reports.models import (
    ContentItem,
    Exercise,
    ExerciseMembership,
    LegalProvision,
    ReporterAccount,
    RequestItem,
    TakedownRequest,
)

DEFAULT_EXERCISE_SLUG = "default"


def exercise_default() -> Exercise:
    """The exercise everything belongs to unless an instructor created another one."""
    exercise = Exercise.objects.filter(is_default=True).first()
    if exercise is None:
        exercise, _ = Exercise.objects.get_or_create(
            slug=DEFAULT_EXERCISE_SLUG, defaults={"name": "Default exercise", "is_default": True})
    return exercise


def exercise_for_user(user) -> Exercise:
    """The exercise whose data this person works on: a reporter's, a student's, or the default one.

    Every page, admin list and API view that reads exercise data asks this, so a student
    of one exercise never sees another's.
    """
    account = reporter_account_for(user)
    if account is not None:
        return account.exercise
    membership = membership_for(user)
    if membership is not None:
        return membership.exercise
    return exercise_default()


def membership_for(user) -> ExerciseMembership | None:
    """The student's place in an exercise (role, agency, platform account), if they joined one."""
    if user is None or not user.is_authenticated:
        return None
    return (ExerciseMembership.objects.select_related("exercise", "agency__jurisdiction", "platform_account")
            .filter(user=user).first())


def reporter_account_for(user) -> ReporterAccount | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return ReporterAccount.objects.select_related("agency__jurisdiction", "exercise").get(user=user)
    except ReporterAccount.DoesNotExist:
        return None


def request_detail_queryset() -> QuerySet[TakedownRequest]:
    """A request with everything its detail page and API representation read, in a fixed number of queries."""
    from review.models import CheckResult, Decision

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


def latest_decisions(request: TakedownRequest) -> dict[int, object]:
    """item id -> its decision in the latest round that has one (uses the prefetched decisions)."""
    latest = {}
    for item in request.items.all():
        decisions = list(item.decisions.all())
        latest[item.pk] = decisions[-1] if decisions else None
    return latest
