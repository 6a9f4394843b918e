"""Reads of the classroom pages, each scoped to one exercise."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from reports.models import Appeal, Exercise, ExerciseMembership, PlatformAccount, Status, TakedownRequest


def exercises_run_by(user) -> QuerySet[Exercise]:
    """The exercises an instructor created (an administrator sees every one), newest first, with their sizes."""
    exercises = Exercise.objects.filter(is_default=False)
    if not user.is_superuser:
        exercises = exercises.filter(created_by=user)
    return exercises.annotate(
        member_count=Count("memberships", distinct=True),
        request_count=Count("requests", filter=~Q(requests__status=Status.DRAFT), distinct=True),
    ).order_by("-created_at", "-id")


def members_of(exercise: Exercise) -> QuerySet[ExerciseMembership]:
    return (ExerciseMembership.objects.filter(exercise=exercise)
            .select_related("user", "agency__jurisdiction", "platform_account").order_by("joined_at", "id"))


def platform_accounts_of(exercise: Exercise) -> QuerySet[PlatformAccount]:
    """The exercise's platform accounts, with the number of their posts (who could appeal)."""
    return (PlatformAccount.objects.filter(exercise=exercise).annotate(post_count=Count("posts"))
            .order_by("country", "handle"))


def progress_of(exercise: Exercise) -> dict[str, int]:
    """How far the class has got: requests filed, waiting for review, decided; appeals waiting and decided."""
    requests = TakedownRequest.objects.filter(exercise=exercise).exclude(status=Status.DRAFT).aggregate(
        filed=Count("id"), waiting=Count("id", filter=Q(status__in=[Status.QUEUED, Status.IN_REVIEW])),
        decided=Count("id", filter=Q(decided_at__isnull=False)))
    appeals = Appeal.objects.filter(exercise=exercise).aggregate(
        appeals=Count("id"), appeals_waiting=Count("id", filter=Q(status=Appeal.Status.PENDING)))
    return {**requests, **appeals}
