"""Reads of the audit trail: the exercise's events, each with its canonical bytes and its place in the log."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet

from audit.models import AuditEvent, WitnessState
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


# --- Witnesses --------------------------------------------------------------------------------

@dataclass(frozen=True)
class WitnessStatus:
    name: str
    cosigned_size: int  # 0 until the witness cosigned a checkpoint
    cosigned_at: datetime | None
    last_error: str  # empty when its last submission succeeded
    last_error_at: datetime | None


def witness_statuses() -> list[WitnessStatus]:
    """Each configured witness's last cosigned size and last failure (for readiness and the admin), in one query."""
    states = {s.name: s for s in WitnessState.objects.filter(name__in=[w["name"] for w in settings.CRS_LOG_WITNESSES])}
    statuses = []
    for witness in settings.CRS_LOG_WITNESSES:
        state = states.get(witness["name"])
        statuses.append(WitnessStatus(name=witness["name"], cosigned_size=state.cosigned_size if state else 0,
                                      cosigned_at=state.cosigned_at if state else None,
                                      last_error=state.last_error if state else "",
                                      last_error_at=state.last_error_at if state else None))
    return statuses
