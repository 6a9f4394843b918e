"""A request's timeline, built from its audit events (the record, not a separate log)."""

from __future__ import annotations

from dataclasses import dataclass

from audit.log import SealStatus, seal_status
from audit.vocabulary import event_name
from reports.models import AppealStatus, Category, Outcome
from reports.roles import role_label
from review.models import CheckName
from review.vocabulary import choice_label, part_label, route_label, verdict_label

ACTION_TITLES = {"remove_globally": "removed globally (violates platform policy)",
                 "restrict_in_jurisdiction": "restricted in the requester's jurisdiction",
                 "no_action": "no action"}


@dataclass
class TimelineEntry:
    at: object
    type: str
    title: str
    detail: str
    event_id: int
    event_uid: str
    actor_role: str
    log_index: int | None = None       # the event's leaf in the transparency log, once sealed
    checkpoint: int | None = None      # the first signed checkpoint whose tree contains it

    @property
    def sealed(self) -> bool:
        return self.log_index is not None


def _describe(event, request, checks: dict, messages: dict, staff: bool) -> tuple[str, str]:
    p = event.payload
    kind = event.event_type
    if kind == "request_drafted":
        return event_name(kind), ""
    if kind == "request_submitted":
        items = len(p.get("items", []))
        reason = choice_label(Category, p.get("category"), lower=True)
        return (f"Submitted by {request.agency.name}",
                f"{items} item{'s' if items != 1 else ''}; reason: {reason}; "
                f"legal basis {', '.join(p.get('provisions') or []) or 'none'}.")
    if kind == "evidence_added":
        return event_name(kind), f"{p.get('content_type')}, {p.get('size')} bytes, SHA-256 {p.get('sha256', '')[:16]}…"
    if kind == "screening_started":
        return event_name(kind), f"Round {p.get('round')}."
    if kind == "check_completed":
        result = checks.get((p.get("round"), p.get("check")))
        check = p.get("check")
        return (f"Check: {choice_label(CheckName, check)} — {verdict_label(p.get('verdict', ''), check)}",
                result.explanation if result else "")
    if kind == "request_routed":
        if p.get("target") == "needs_info":
            return "Sent back for information", p.get("reason", "")
        return (f"Queued for {route_label(p.get('queue', p.get('target')))} review (priority {p.get('priority')})",
                p.get("reason", ""))
    if kind == "info_requested":
        message = messages.get(p.get("message"))
        return event_name(kind), message.body if message else ""
    if kind == "info_provided":
        message = messages.get(p.get("message"))
        changed = ", ".join(part_label(field) for field in p.get("changed") or [])
        return event_name(kind), (message.body if message else "") + (f" (changed: {changed})" if changed else "")
    if kind == "request_claimed":
        return event_name(kind), f"by {role_label(event.actor_role)}" if staff else ""
    if kind in ("claim_released", "claim_expired"):
        return "Returned to the queue", "The claim lapsed." if kind == "claim_expired" else ""
    if kind == "request_escalated":
        return f"Escalated to {route_label(p.get('to'))} review", p.get("note", "") if staff else ""
    if kind == "sla_breached":
        return event_name(kind), f"Priority raised to {p.get('priority')}."
    if kind == "item_decided":
        return f"Item {p.get('item')}: {ACTION_TITLES.get(p.get('action'), p.get('action'))}", p.get("rationale", "")
    if kind == "request_decided":
        outcome = p.get("outcome")
        return f"Decided: {Outcome(outcome).label if outcome in Outcome.values else outcome}", ""
    if kind == "reconsideration_requested":
        message = messages.get(p.get("message"))
        return event_name(kind), message.body if message else ""
    if kind == "request_withdrawn":
        return event_name(kind), p.get("reason", "")
    if kind == "request_closed":
        return "Closed", p.get("reason", "")
    if kind == "appeal_filed":
        return f"Item {p.get('item')}: the author appealed", ""
    if kind == "appeal_decided":
        restored = " and the post restored" if p.get("content_restored") else ""
        outcome = choice_label(AppealStatus, p.get("outcome"), lower=True).split(" (")[0]
        return f"Item {p.get('item')}: appeal {outcome}{restored}", p.get("rationale", "")
    if kind == "screening_reenqueued":
        return event_name(kind), "The request waited longer than expected and was sent to screening again."
    return event_name(kind), ""


def request_timeline(request, *, staff: bool = False, just_written: bool = False) -> list[TimelineEntry]:
    """Readable entries for each audit event of the request, oldest first, with their seal (five queries).

    Relations the caller already holds (``prefetch_related``, or the rows a filing has just written)
    are not read again. ``just_written`` says the events were written by the caller's own request,
    a moment ago: the sequencer has not sealed them yet, so no seal is read and a request just
    filed costs no query here.
    """
    checks = {(r.round, r.name): r for r in request.check_results.all()}
    messages = {m.pk: m for m in request.messages.all()}
    known = getattr(request, "_prefetched_objects_cache", {}).get("events")
    events = sorted(known, key=lambda event: event.pk) if known is not None else list(request.events.order_by("id"))
    seals = ({event.pk: SealStatus(None, None) for event in events} if just_written
             else seal_status(event.pk for event in events))
    entries = []
    for event in events:
        title, detail = _describe(event, request, checks, messages, staff)
        seal = seals[event.pk]
        entries.append(TimelineEntry(at=event.created_at, type=event.event_type, title=title, detail=detail,
                                     event_id=event.pk, event_uid=str(event.uid), actor_role=event.actor_role,
                                     log_index=seal.log_index, checkpoint=seal.checkpoint_size))
    return entries
