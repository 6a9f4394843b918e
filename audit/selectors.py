"""Reads of the audit trail: the exercise's events, each with its canonical bytes and its place in the log."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from audit.models import AuditEvent
from reports import roles
from reports.models import Exercise


def api_time(value: datetime | str | None) -> str | None:
    """A time as the API writes it: the text DRF gives a DateTimeField under UTC, so API and exports agree."""
    if value is None or isinstance(value, str):
        return value  # already formatted by the database
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# --- Events ---------------------------------------------------------------------------------

def audit_events(*, exercise: Exercise) -> QuerySet[AuditEvent]:
    """The exercise's events, and the installation-wide ones (rule activations, exports), by id."""
    return (AuditEvent.objects.filter(Q(exercise=exercise) | Q(exercise__isnull=True))
            .select_related("request", "log_entry").order_by("id"))


def event_record(event: AuditEvent) -> dict:
    canonical = bytes(event.canonical)
    entry = getattr(event, "log_entry", None)
    return {
        "id": event.pk,
        "uid": str(event.uid),
        "type": event.event_type,
        "created_at": api_time(event.created_at),
        "request": event.request.reference if event.request_id else None,
        "actor": f"user:{event.actor_id}" if event.actor_id else roles.SYSTEM,
        "actor_role": event.actor_role,
        "payload": event.payload,
        "canonical": base64.b64encode(canonical).decode("ascii"),
        # Where the transparency log sealed the event (null until the sequencer reaches it).
        "log_index": entry.index if entry else None,
        "leaf_hash": bytes(entry.leaf_hash).hex() if entry else None,
    }


def event_records(events: Iterable[AuditEvent]) -> list[dict]:
    return [event_record(event) for event in events]
