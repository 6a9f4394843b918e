"""The simulated platform: accounts, their posts, and where each post is visible."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from reports.limits import MAX_POST_CHARS
from reports.models.common import choice_in
from reports.models.exercises import Exercise


class Persona(models.TextChoices):
    ORDINARY_USER = "ordinary_user", "Ordinary user"
    JOURNALIST = "journalist", "Journalist"
    OPPOSITION_ACTIVIST = "opposition_activist", "Opposition activist"
    NGO = "ngo", "NGO"
    PUBLIC_OFFICIAL = "public_official", "Public official"
    ANONYMOUS = "anonymous", "Anonymous"
    BOT = "bot", "Bot"


class PlatformAccount(models.Model):
    """A simulated account on the platform: the author of content that may be reported."""

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="platform_accounts")
    handle = models.CharField(max_length=30)
    display_name = models.CharField(max_length=100)
    persona = models.CharField(max_length=20, choices=Persona.choices)
    country = models.CharField(max_length=2)
    bio = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["handle"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "handle"], name="platform_account_handle_unique"),
            models.CheckConstraint(condition=choice_in("persona", Persona), name="platform_account_persona_valid"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"


class ContentItem(models.Model):
    """A post on the simulated platform, visible everywhere unless removed or restricted."""

    URL_PREFIX = "https://platform.example/p/"

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="content_items")
    code = models.CharField(max_length=20, help_text="Stable code defined by the scenario, e.g. kz-0007")
    author = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="posts")
    text = models.TextField(max_length=MAX_POST_CHARS)
    # The post in English, for reviewers and reporters who cannot read its language ("" for posts in English).
    translation = models.TextField(max_length=MAX_POST_CHARS, blank=True)
    language = models.CharField(max_length=8)
    country = models.CharField(max_length=2)
    posted_at = models.DateTimeField()
    removed_globally_at = models.DateTimeField(null=True, blank=True)
    removed_by_request = models.ForeignKey(
        "TakedownRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-posted_at", "code"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "code"], name="content_code_unique_in_exercise"),
            models.CheckConstraint(condition=Q(code__regex=r"^[a-z]{2}-[0-9]{4,}$"), name="content_code_format"),
        ]
        indexes = [models.Index(fields=["exercise", "country", "posted_at"])]

    def __str__(self) -> str:
        return self.code

    @property
    def url(self) -> str:
        return f"{self.URL_PREFIX}{self.code}"

    def visible_in(self, country: str) -> bool:
        if self.removed_globally_at is not None:
            return False
        return not self.restrictions.filter(country=country, lifted_at__isnull=True).exists()

    # Visibility changes: the one home for removing, restricting and restoring a post. Each is a
    # conditional write, so a decision applied twice (a retried task, a double click) changes nothing more.

    def remove_globally(self, *, request) -> bool:
        """Withhold the post everywhere at ``request``'s asking; False if it was removed already."""
        return bool(ContentItem.objects.filter(pk=self.pk, removed_globally_at__isnull=True)
                    .update(removed_globally_at=timezone.now(), removed_by_request=request))

    def restrict_in(self, country: str, *, request) -> bool:
        """Withhold the post in ``country``; False if a restriction there is in force already."""
        if ContentRestriction.objects.filter(content=self, country=country, lifted_at__isnull=True).exists():
            return False
        ContentRestriction.objects.create(content=self, country=country, request=request)
        return True

    def restore(self, *, request) -> bool:
        """Undo what ``request`` did to the post (its global removal, its restriction); True if any was in force."""
        removed = (ContentItem.objects.filter(pk=self.pk, removed_by_request=request, removed_globally_at__isnull=False)
                   .update(removed_globally_at=None, removed_by_request=None))
        lifted = (ContentRestriction.objects.filter(content=self, request=request, lifted_at__isnull=True)
                  .update(lifted_at=timezone.now()))
        return bool(removed or lifted)


class ContentRestriction(models.Model):
    """Content withheld in one country because a decision found it unlawful there."""

    content = models.ForeignKey(ContentItem, on_delete=models.PROTECT, related_name="restrictions")
    country = models.CharField(max_length=2)
    request = models.ForeignKey("TakedownRequest", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content", "country"], condition=Q(lifted_at__isnull=True), name="one_active_restriction"
            ),
        ]
