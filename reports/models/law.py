"""Jurisdictions, their legal provisions, and the government agencies that file under them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from reports.models.common import choice_in


class Category(models.TextChoices):
    """Reason categories, in the public transparency-report vocabulary."""

    DEFAMATION = "defamation", "Defamation"
    PRIVACY_SECURITY = "privacy_security", "Privacy and security"
    NATIONAL_SECURITY = "national_security", "National security"
    HATE_SPEECH = "hate_speech", "Hate speech"
    GOVERNMENT_CRITICISM = "government_criticism", "Government criticism"
    RELIGIOUS_OFFENSE = "religious_offense", "Religious offense"
    OBSCENITY_NUDITY = "obscenity_nudity", "Obscenity/nudity"
    VIOLENCE = "violence", "Violence"
    ELECTORAL_LAW = "electoral_law", "Electoral law"
    BULLYING_HARASSMENT = "bullying_harassment", "Bullying/harassment"
    CHILD_SAFETY = "child_safety", "Child safety"
    DRUG_ABUSE = "drug_abuse", "Drug abuse"
    REGULATED_GOODS_SERVICES = "regulated_goods_services", "Regulated goods and services"
    FRAUD = "fraud", "Fraud"
    FALSE_INFORMATION = "false_information", "False information"
    COPYRIGHT = "copyright", "Copyright"
    TRADEMARK = "trademark", "Trademark"
    IMPERSONATION = "impersonation", "Impersonation"
    SUICIDE_SELF_HARM = "suicide_self_harm", "Suicide and self-harm"
    OTHER = "other", "Other"


class AuthorityType(models.TextChoices):
    MINISTRY = "ministry", "Ministry"
    REGULATOR = "regulator", "Regulator"
    PROSECUTOR = "prosecutor", "Prosecutor"
    POLICE = "police", "Police"
    COURT = "court", "Court"


class Jurisdiction(models.Model):
    code = models.CharField(max_length=2, primary_key=True, help_text="ISO 3166-1 alpha-2")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{2}$"), name="jurisdiction_code_iso2")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class LegalProvision(models.Model):
    """A statute article a government may cite, with what it covers and what is said of it."""

    code = models.CharField(max_length=40, unique=True, help_text="Stable code, e.g. KZ-CC-174")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="provisions")
    statute = models.CharField(max_length=200)
    article = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=1000, blank=True)
    categories = models.JSONField(default=list, help_text="Reason category codes the provision covers.")
    in_force_from = models.DateField()
    in_force_until = models.DateField(null=True, blank=True)
    concern = models.BooleanField(
        default=False, help_text="Criticised by UN, OSCE or regional bodies as vague, overbroad or abused."
    )
    hr_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{2}-[A-Z0-9-]+$"), name="provision_code_format"),
            models.CheckConstraint(
                condition=Q(in_force_until__isnull=True) | Q(in_force_until__gte=models.F("in_force_from")),
                name="provision_in_force_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    @property
    def citation(self) -> str:
        return f"{self.statute} {self.article}"

    def in_force_on(self, day) -> bool:
        return self.in_force_from <= day and (self.in_force_until is None or day <= self.in_force_until)


class AgencyState(models.TextChoices):
    ACTIVE = "active", "Active"
    PROPOSED = "proposed", "Proposed (awaiting verification)"
    REJECTED = "rejected", "Rejected"


class Agency(models.Model):
    """A government body of one jurisdiction. Every agency has the same, single access tier."""

    State = AgencyState

    code = models.SlugField(max_length=60, unique=True)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    authority_type = models.CharField(max_length=20, choices=AuthorityType.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)

    class Meta:
        ordering = ["jurisdiction_id", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="agency_name_unique_in_jurisdiction"),
            models.CheckConstraint(condition=choice_in("authority_type", AuthorityType),
                                   name="agency_authority_type_valid"),
            models.CheckConstraint(condition=choice_in("state", AgencyState), name="agency_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.jurisdiction_id})"
