"""Reporter accounts: the people who file for an agency, once platform staff have verified them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reports.models.common import choice_in
from reports.models.exercises import Exercise
from reports.models.law import Agency


class Verification(models.TextChoices):
    PENDING = "pending", "Pending verification"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class ReporterAccount(models.Model):
    """A person filing for one agency. Pending and rejected accounts cannot file."""

    Verification = Verification

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reporter_account")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="reporter_accounts")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="reporter_accounts")
    official_title = models.CharField(max_length=200)
    work_email = models.EmailField()
    verification = models.CharField(max_length=10, choices=Verification.choices, default=Verification.PENDING)
    verification_note = models.TextField(blank=True, help_text="Reason given when the account was rejected.")
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("verify_reporteraccount", "Can verify or reject reporter accounts")]
        constraints = [
            models.CheckConstraint(condition=choice_in("verification", Verification),
                                   name="reporter_verification_valid"),
            models.CheckConstraint(
                condition=~Q(verification="rejected") | ~Q(verification_note=""),
                name="reporter_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.agency.code})"

    @property
    def can_file(self) -> bool:
        return self.verification == self.Verification.VERIFIED
