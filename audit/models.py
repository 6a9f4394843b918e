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
    # The origin line it was signed with (and so the key name): a log renamed later keeps its old notes valid.
    origin = models.CharField(max_length=200)

    class Meta:
        ordering = ["-tree_size"]
        get_latest_by = "tree_size"
        constraints = [models.CheckConstraint(condition=models.Q(tree_size__gt=0), name="checkpoint_not_empty")]

    def __str__(self) -> str:
        return f"checkpoint at size {self.tree_size}"


class Cosignature(models.Model):
    """A witness's cosignature of a checkpoint (c2sp.org/tlog-cosignature v1.0.1).

    Stored as the witness sent it: the checkpoint is served with one signature line per
    cosignature, and anyone holding the witness's key checks it without asking us.
    """

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.CharField(max_length=200, help_text="The witness's key name.")
    key_id = models.BinaryField(max_length=4)
    cosigned_at = models.BigIntegerField(help_text="The witness's time, UNIX seconds.")
    signature = models.BinaryField(max_length=64)

    class Meta:
        ordering = ["checkpoint_id", "witness"]
        constraints = [models.UniqueConstraint(fields=["checkpoint", "witness"], name="cosignature_once")]

    def __str__(self) -> str:
        return f"{self.witness} cosigned size {self.checkpoint_id}"


class WitnessState(models.Model):
    """What the log knows of one configured witness: the size it last cosigned, and its last failure."""

    name = models.CharField(max_length=200, primary_key=True)
    cosigned_size = models.BigIntegerField(default=0, help_text="The largest tree size this witness cosigned.")
    cosigned_at = models.DateTimeField(null=True, blank=True)
    # The size the witness says it holds (from a 409 answer): the next submission proves consistency from it.
    witness_size = models.BigIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"witness {self.name} at size {self.cosigned_size}"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    NDJSON = "ndjson", "NDJSON (one JSON object per line)"
    DSA_SOR_CSV = "dsa-sor-csv", "DSA statements of reasons, CSV in the database's dump layout"
    DSA_SOR_JSON = "dsa-sor-json", "DSA statements of reasons, bulk-endpoint bodies of 100 (one per line)"
    LUMEN_JSON = "lumen-json", "Lumen GovernmentRequest notices (one per line)"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    RUNNING = "running", "Writing"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"


class ExportJob(models.Model):
    """An auditor's export of the request log, written to a private file by a background worker.

    The filters and the personal-data permission are fixed when the job is created, so the
    file says exactly what was asked for. ``attempt`` fences workers: only the worker holding
    the latest attempt may write progress or finish the job (audit/exports.py).
    """

    Format = ExportFormat
    Status = ExportStatus

    # A random id: the job's address in the API is not guessable from another job's.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    exercise = models.ForeignKey("reports.Exercise", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=20, choices=Format.choices)
    filters = models.JSONField(default=dict, blank=True)
    personal_data = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)
    rows_done = models.PositiveBigIntegerField(default=0)
    file_name = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes.")
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # DSA statements: how many were written and which decisions could not be expressed (transparency/dsa.py).
    report = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(format__in=ExportFormat.values), name="export_format_valid"),
            models.CheckConstraint(condition=models.Q(status__in=ExportStatus.values), name="export_status_valid"),
            models.CheckConstraint(condition=~models.Q(status="done") | ~models.Q(file_name=""),
                                   name="export_done_has_file"),
        ]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="export_owner_recent")]

    def __str__(self) -> str:
        return f"export {self.id} ({self.format}, {self.status})"
