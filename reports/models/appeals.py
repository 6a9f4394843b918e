"""Affected users' appeals against decisions that removed or restricted their posts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan

from reports.limits import MAX_RATIONALE_CHARS, MAX_STATEMENT_CHARS
from reports.models.common import choice_in
from reports.models.exercises import Exercise
from reports.models.platform import PlatformAccount
from reports.models.requests import RequestItem, TakedownRequest


class AppealStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a reviewer"
    UPHELD = "upheld", "Upheld (the decision stands)"
    REVERSED = "reversed", "Reversed (the content is restored)"


class Appeal(models.Model):
    """An affected user's appeal against a decision that removed or restricted their post.

    One appeal per reported item (``appeal_item_once``), decided by a reviewer other than
    the one who made the decision appealed (enforced in reports.appeals.appeal_decide).
    """

    Status = AppealStatus

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="appeals")
    request = models.ForeignKey(TakedownRequest, on_delete=models.PROTECT, related_name="appeals")
    item = models.ForeignKey(RequestItem, on_delete=models.PROTECT, related_name="appeals")
    decision = models.ForeignKey("review.Decision", on_delete=models.PROTECT, related_name="appeals")
    author = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="appeals")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(max_length=MAX_STATEMENT_CHARS)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    filed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rationale = models.TextField(max_length=MAX_RATIONALE_CHARS, blank=True)
    content_restored = models.BooleanField(default=False, help_text="The reversal made the post visible again.")

    class Meta:
        ordering = ["filed_at", "id"]
        permissions = [("decide_appeal", "Can decide affected users' appeals")]
        constraints = [
            models.UniqueConstraint(fields=["item"], name="appeal_item_once"),
            models.CheckConstraint(condition=choice_in("status", AppealStatus), name="appeal_status_valid"),
            models.CheckConstraint(condition=GreaterThan(Length("statement"), 0), name="appeal_statement_present"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False) & Q(decided_at__isnull=False)
                   & ~Q(rationale="")),
                name="appeal_decided_has_reviewer_and_rationale",
            ),
            models.CheckConstraint(condition=Q(content_restored=False) | Q(status="reversed"),
                                   name="appeal_restored_only_when_reversed"),
        ]
        indexes = [models.Index(fields=["exercise", "status", "filed_at"], name="appeal_queue_order")]

    def __str__(self) -> str:
        return f"Appeal on {self.request.reference} item {self.item.position}"
