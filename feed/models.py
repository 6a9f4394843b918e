"""The live feed: integrators' webhook subscriptions, every delivery owed to them, and where the scan stands.

A delivery is owed once per subscription and event (``delivery_once``): the scanner can run
twice over the same log entries and write nothing new (feed/services.py explains the design).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

TOPICS = ("filed", "routed", "decided", "appealed", "checkpoint")
SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)


def all_topics() -> list[str]:
    return list(TOPICS)


class WebhookSubscription(models.Model):
    """An auditor's or integrator's endpoint that receives the feed's events of one exercise, signed."""

    exercise = models.ForeignKey("reports.Exercise", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              help_text="The auditor or integrator the endpoint belongs to.")
    url = models.URLField(max_length=500, help_text="Where events are POSTed (http or https).")
    topics = models.JSONField(default=all_topics, help_text="Any of: " + ", ".join(TOPICS) + ".")
    # Kept in clear: signing needs the secret itself (SECURITY.md says how it is handled).
    secret = models.CharField(max_length=2 * SECRET_BYTES, default=new_secret, editable=False,
                              help_text="HMAC-SHA256 key of the CRS-Signature header.")
    active = models.BooleanField(default=True)
    # Events sealed before the subscription existed are not sent: the pull feed has the history.
    start_index = models.BigIntegerField(default=0, help_text="First log index delivered.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent (or retried)"
    SENDING = "sending", "Being sent"
    DELIVERED = "delivered", "Delivered (2xx)"
    FAILED = "failed", "Failed (out of attempts)"


class WebhookDelivery(models.Model):
    """One event owed to one subscription, with the log of its attempts."""

    Status = DeliveryStatus

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.PROTECT, related_name="deliveries")
    event_id = models.CharField(max_length=64, help_text="The event's uid, or checkpoint-<tree size>.")
    topic = models.CharField(max_length=20)
    log_index = models.BigIntegerField(null=True, blank=True, help_text="The event's index in the log.")
    body = models.TextField(help_text="The JSON body sent, the same on every attempt.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="delivery_once"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.topic} {self.event_id} to {self.subscription_id}"


class FeedCursor(models.Model):
    """Where the scanner stands in the log: one row (created by the migration), moved only forward."""

    next_index = models.BigIntegerField(default=0, help_text="The first log index not yet scanned.")
    checkpoint_size = models.BigIntegerField(default=0, help_text="The largest checkpoint already announced.")
