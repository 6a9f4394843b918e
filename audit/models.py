"""The append-only audit trail.

Rows are only ever inserted: the event's canonical bytes are fixed when it is
written, and the transparency log seals them into a Merkle tree (audit/log.py).
On PostgreSQL and SQLite a trigger refuses UPDATE and DELETE (see migrations).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One thing that happened, to a request or to the system, by whom and in which role."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=40)
    exercise = models.ForeignKey("reports.Exercise", on_delete=models.PROTECT, null=True, related_name="+")
    request = models.ForeignKey(
        "reports.TakedownRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_role = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    # The exact bytes hashed into the transparency log (audit/canonical.py documents the encoding).
    canonical = models.BinaryField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["request", "id"], name="event_request_order"),
            models.Index(fields=["event_type", "created_at"], name="event_type_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"
