"""Reads of the classroom pages, each scoped to one exercise."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from reports.models import Exercise, ExerciseMembership, PlatformAccount, Status


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
