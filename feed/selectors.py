"""Reads of the feed: the sealed events of the five topics, by log index, as the feed sends them.

Entries are the auditors' event records (audit/selectors.py: actors as ``user:<id>``, payloads
that name agencies, codes and references, never a person) with their topic; the same document
is a webhook's body and an entry of the pull feed, so the two agree.
"""

from __future__ import annotations

from django.db.models import QuerySet

from audit.log import checkpoint_document
from audit.models import Checkpoint, LogEntry
from audit.selectors import api_time, event_record
from reports.models import Exercise

TOPIC_OF_EVENT_TYPE = {
    "request_submitted": "filed",
    "request_routed": "routed",
    "item_decided": "decided",
    "request_decided": "decided",
    "appeal_filed": "appealed",
    "appeal_decided": "appealed",
}
EVENT_TYPES_OF_TOPIC: dict[str, list[str]] = {}
for _type, _topic in TOPIC_OF_EVENT_TYPE.items():
    EVENT_TYPES_OF_TOPIC.setdefault(_topic, []).append(_type)


def feed_entries(*, exercise: Exercise | None = None, after: int = -1, topics=None) -> QuerySet[LogEntry]:
    """Sealed entries of the feed's event types after log index ``after``, by index (one exercise's, if given)."""
    types = [t for topic in (topics or EVENT_TYPES_OF_TOPIC) for t in EVENT_TYPES_OF_TOPIC.get(topic, [])]
    entries = (LogEntry.objects.filter(index__gt=after, event__event_type__in=types)
               .select_related("event", "event__request").order_by("index"))
    return entries.filter(event__exercise=exercise) if exercise is not None else entries


def event_entry(entry: LogEntry) -> dict:
    """One event as the feed sends it: its topic, then the auditors' event record."""
    event = entry.event
    event.log_entry = entry
    return {"topic": TOPIC_OF_EVENT_TYPE[event.event_type], **event_record(event)}


def checkpoint_entry(checkpoint: Checkpoint) -> dict:
    """A signed checkpoint as the feed announces it (verify it as GET /api/v1/audit/checkpoints/latest/ says)."""
    document = checkpoint_document(checkpoint)
    return {"topic": "checkpoint", "id": f"checkpoint-{checkpoint.tree_size}",
            **{**document, "timestamp": api_time(document["timestamp"])}}
