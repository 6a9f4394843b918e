"""Classroom exercises: one class's run of a scenario, and the students in it with their roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reports.models.common import choice_in


class ExerciseState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Exercise(models.Model):
    """One class's run of a scenario. Exercises on one installation never see each other's data."""

    State = ExerciseState

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    scenario = models.CharField(max_length=100, blank=True, help_text="Scenario the exercise was created from.")
    brief = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # Students join with this code; the default exercise has none (nobody joins it).
    join_code = models.CharField(max_length=12, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_exercise"),
            models.CheckConstraint(condition=choice_in("state", ExerciseState), name="exercise_state_valid"),
            models.CheckConstraint(condition=Q(join_code__isnull=True) | Q(join_code__regex=r"^[A-Z0-9]{8}$"),
                                   name="exercise_join_code_format"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == ExerciseState.OPEN


class ExerciseRole(models.TextChoices):
    """What a student plays in an exercise; the instructor assigns it after the student joins."""

    UNASSIGNED = "unassigned", "Not yet assigned"
    REPORTER = "reporter", "Government reporter"
    POLICY_REVIEWER = "policy_reviewer", "Reviewer: platform policy"
    LEGAL_REVIEWER = "legal_reviewer", "Reviewer: local law"
    HUMAN_RIGHTS_REVIEWER = "human_rights_reviewer", "Reviewer: human rights"
    SENIOR_REVIEWER = "senior_reviewer", "Reviewer: senior"
    AFFECTED_USER = "affected_user", "Affected user (a platform account)"
    AUDITOR = "auditor", "Auditor"


class ExerciseMembership(models.Model):
    """A student in an exercise, and the role the instructor gave them.

    One exercise per person at a time: the exercise a member belongs to is the only one
    whose data they see (reports.selectors.exercise_for_user).
    """

    Role = ExerciseRole

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="memberships")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exercise_membership")
    role = models.CharField(max_length=30, choices=Role.choices, default=Role.UNASSIGNED)
    agency = models.ForeignKey("Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    platform_account = models.ForeignKey(
        "PlatformAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.CheckConstraint(condition=choice_in("role", ExerciseRole), name="membership_role_valid"),
            models.CheckConstraint(condition=Q(role="reporter", agency__isnull=False)
                                   | (~Q(role="reporter") & Q(agency__isnull=True)),
                                   name="membership_reporter_has_agency"),
            models.CheckConstraint(condition=Q(role="affected_user", platform_account__isnull=False)
                                   | (~Q(role="affected_user") & Q(platform_account__isnull=True)),
                                   name="membership_affected_user_has_account"),
            # One student speaks for one simulated account.
            models.UniqueConstraint(fields=["platform_account"], condition=Q(platform_account__isnull=False),
                                    name="membership_platform_account_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} in {self.exercise.slug} ({self.role})"
