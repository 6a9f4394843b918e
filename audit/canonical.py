"""The canonical encoding of an audit event: the bytes the transparency log hashes.

An event is a JSON object serialised with keys sorted, no insignificant whitespace,
UTF-8 without escaping non-ASCII characters, and no floating-point numbers
(RFC 8785 reduces to exactly this when every number is an integer)::

    {"actor":{"id":"user:17","role":"reporter"},"at":"2021-11-02T09:30:00.000000Z",
     "exercise":"default","payload":{...},"request":"CRS-2021-000123",
     "type":"request_submitted","uid":"0b6c...","v":1}

Times are UTC with microseconds and a ``Z``. ``actor.id`` is ``user:<id>`` or
``system``: an opaque pseudonym, never a name or an e-mail address.
The log's leaf hash is SHA-256(0x00 || these bytes), as in RFC 9162.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

ENCODING_VERSION = 1


# What json.dumps builds on every call with these options, built once (the same encoder, the same bytes).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_bytes(document: dict) -> bytes:
    return _ENCODER.encode(document).encode("utf-8")


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_document(*, uid: str, event_type: str, at: datetime, exercise: str | None, request: str | None,
                   actor_id: str, actor_role: str, payload: dict) -> dict:
    return {
        "v": ENCODING_VERSION,
        "uid": uid,
        "type": event_type,
        "at": format_time(at),
        "exercise": exercise,
        "request": request,
        "actor": {"id": actor_id, "role": actor_role},
        "payload": payload,
    }
