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


class PendingSeal(models.Model):
    """An event written but not yet in the transparency log: the sequencer's work queue.

    Inserted in the same transaction as the event, deleted when the event is sealed,
    so the sequencer reads only what is new however long the log grows.
    """

    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, primary_key=True, related_name="+")


class LogEntry(models.Model):
    """An event's place in the transparency log: its leaf index and leaf hash."""

    index = models.BigIntegerField(primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="log_entry")
    leaf_hash = models.BinaryField(max_length=32)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "log entries"
        constraints = [models.CheckConstraint(condition=models.Q(index__gte=0), name="log_index_not_negative")]


class TreeNode(models.Model):
    """The hash of a complete subtree: level L, index i covers leaves [i·2^L, (i+1)·2^L).

    Complete subtrees never change once the log has grown past them, so they are
    stored once and make every proof a handful of reads. Level 0 (the leaves) lives
    in LogEntry.
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="tree_node_once"),
            models.CheckConstraint(condition=models.Q(level__gte=1), name="tree_node_above_leaves"),
        ]


class Checkpoint(models.Model):
    """A signed statement of the log's size and root hash at a moment (see audit/signing.py)."""

    tree_size = models.BigIntegerField(primary_key=True)
    root_hash = models.BinaryField(max_length=32)
    timestamp = models.DateTimeField()
    signature = models.BinaryField(max_length=64)
    public_key = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["-tree_size"]
        get_latest_by = "tree_size"
        constraints = [models.CheckConstraint(condition=models.Q(tree_size__gt=0), name="checkpoint_not_empty")]

    def __str__(self) -> str:
        return f"checkpoint at size {self.tree_size}"
