"""Offline receipts (c2sp.org/tlog-proof@v1): a file a party keeps to prove an event is in the log.

    c2sp.org/tlog-proof@v1
    extra <base64 of the event's canonical bytes>
    index <the event's leaf index>
    <base64 inclusion-proof hash>   (from the leaf's sibling upward)

    <the signed checkpoint, with its witnesses' cosignatures>

The ``extra`` line carries the event itself, so the receipt verifies with nothing but the
log's verifier key: hash the bytes into the leaf, follow the proof to the root, check the
checkpoint's signature (and, for a relying party that wants them, the cosignatures).
The checkpoint cited is the latest one with the cosignatures CRS_LOG_WITNESS_QUORUM asks for.
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpResponse

from audit import merkle
from audit.log import Nodes, checkpoint_note
from audit.models import AuditEvent, LogEntry
from audit.witnessing import checkpoint_quorate

RECEIPT_HEADER = "c2sp.org/tlog-proof@v1"
RECEIPT_CONTENT_TYPE = "text/plain; charset=utf-8"


def event_receipt(*, event: AuditEvent) -> bytes | None:
    """The event's receipt, or None while it is not sealed under a checkpoint that has its quorum of witnesses."""
    index = LogEntry.objects.filter(event_id=event.pk).values_list("index", flat=True).first()
    if index is None:
        return None
    checkpoint = checkpoint_quorate(min_size=index + 1)
    if checkpoint is None:
        return None
    proof = merkle.inclusion_path(index, checkpoint.tree_size, Nodes().subtree)
    lines = [RECEIPT_HEADER, f"extra {base64.b64encode(bytes(event.canonical)).decode()}", f"index {index}",
             *(base64.b64encode(h).decode() for h in proof)]
    cosignatures = checkpoint.cosignatures.order_by("witness")
    return ("\n".join(lines) + "\n\n").encode() + checkpoint_note(checkpoint, cosignatures)


def receipt_filename(*, event: AuditEvent) -> str:
    subject = event.request.reference if event.request_id else "event"
    return f"{subject}-{event.event_type}-{event.pk}.tlog-proof"


# Events whose receipts the parties are offered: the requester's submission and each item's decision.
RECEIPT_EVENT_TYPES = ("request_submitted", "item_decided")


def receipt_events(*, request_id: int, item_position: int | None = None) -> list[AuditEvent]:
    """The request's events a party may hold a receipt for, oldest first (only one item's decisions if given)."""
    events = AuditEvent.objects.filter(request_id=request_id, event_type__in=RECEIPT_EVENT_TYPES).select_related(
        "request", "log_entry").order_by("id")
    if item_position is not None:
        return [e for e in events if e.event_type == "item_decided" and e.payload.get("item") == item_position]
    return list(events)


def receipt_response(*, event: AuditEvent) -> HttpResponse:
    """The receipt as a download; 404 saying why while the event awaits sealing or its witnesses."""
    receipt = event_receipt(event=event)
    if receipt is None:
        raise Http404("This event is not yet sealed under a checkpoint with its witnesses' cosignatures; "
                      "its receipt is ready within a minute or so.")
    response = HttpResponse(receipt, content_type=RECEIPT_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{receipt_filename(event=event)}"'
    return response


def receipt_event(*, request_id: int, event_id: int, item_position: int | None = None) -> AuditEvent:
    """One of the request's receipt events (404 for any other event id)."""
    for event in receipt_events(request_id=request_id, item_position=item_position):
        if event.pk == event_id:
            return event
    raise Http404("This request has no such event with a receipt.")
