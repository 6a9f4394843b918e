"""The webhook signature: HMAC-SHA256 over the timestamp and the body, as Stripe signs its events.

    CRS-Signature: t=1638442200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

``v1`` is the hex HMAC-SHA256, keyed with the subscription's secret, of ``<t>.<body>`` (the
Unix time in seconds, a full stop, the exact bytes of the body). The receiver recomputes it,
compares in constant time and refuses a timestamp older than its tolerance (replays).
docs/exports.md has a verification snippet.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "CRS-Signature"
EVENT_ID_HEADER = "CRS-Event-Id"
TOPIC_HEADER = "CRS-Event-Topic"
ATTEMPT_HEADER = "CRS-Delivery-Attempt"
TOLERANCE_S = 300


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"


def signature_valid(*, secret: str, header: str, body: bytes, now: int, tolerance_s: int = TOLERANCE_S) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret=secret, timestamp=timestamp, body=body))
