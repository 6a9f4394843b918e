"""A large log, fast: events written straight into the table (not through the workflow), then sealed by the
real sequencer, so the stored tree is exactly what production stores."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from audit import log
from audit.canonical import canonical_bytes, event_document
from audit.models import AuditEvent, Checkpoint, PendingSeal

START = datetime(2021, 11, 2, 9, 0, tzinfo=UTC)


def events_written(count: int) -> None:
    """``count`` system events, with their canonical bytes, queued for sealing."""
    rows = []
    first = AuditEvent.objects.count()
    for n in range(first, first + count):
        uid, at = str(uuid.uuid4()), START + timedelta(seconds=n)
        document = event_document(uid=uid, event_type="bulk_test", at=at, exercise=None, request=None,
                                  actor_id="system", actor_role="system", payload={"n": n})
        rows.append(AuditEvent(uid=uid, event_type="bulk_test", actor_role="system", created_at=at,
                               payload={"n": n}, canonical=canonical_bytes(document)))
    events = AuditEvent.objects.bulk_create(rows, batch_size=5000)
    PendingSeal.objects.bulk_create((PendingSeal(event_id=e.pk) for e in events), batch_size=5000)


def log_grown(count: int) -> Checkpoint:
    """Write and seal ``count`` more events in one checkpoint."""
    events_written(count)
    return log.log_seal(batch_limit=count)
