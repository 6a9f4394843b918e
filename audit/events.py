"""One constructor per audit event type, so that every event has the same shape.

Each is called inside the transaction of the change it records: the event exists
exactly when the change does. Payloads name agencies, codes and references, never
a person's name or e-mail (actors appear as ``user:<id>``).
"""

from __future__ import annotations

import hashlib
import uuid

from django.utils import timezone

from audit.canonical import canonical_bytes, event_document
from audit.models import AuditEvent, PendingSeal
from reports import roles


def _record(*, event_type: str, actor=None, role: str | None = None, request=None, exercise=None,
            payload: dict | None = None) -> AuditEvent:
    return _record_all([_event(event_type=event_type, actor=actor, role=role, request=request, exercise=exercise,
                               payload=payload)])[0]


def _record_all(events: list[AuditEvent]) -> list[AuditEvent]:
    """Store events built by ``_event``, in their order, with two INSERTs however many there are."""
    events = AuditEvent.objects.bulk_create(events)
    # Queued for the transparency log in the same transaction: an event is sealed exactly when it exists.
    PendingSeal.objects.bulk_create(PendingSeal(event=event) for event in events)
    return events


def _event(*, event_type: str, actor=None, role: str | None = None, request=None, exercise=None,
           payload: dict | None = None) -> AuditEvent:
    if request is not None and exercise is None:
        exercise = request.exercise
    uid = uuid.uuid4()
    at = timezone.now()
    actor_role = role or roles.role_of(actor)
    payload = payload or {}
    document = event_document(
        uid=str(uid),
        event_type=event_type,
        at=at,
        exercise=exercise.slug if exercise is not None else None,
        request=request.reference if request is not None else None,
        actor_id=f"user:{actor.pk}" if actor is not None else roles.SYSTEM,
        actor_role=actor_role,
        payload=payload,
    )
    return AuditEvent(
        uid=uid,
        event_type=event_type,
        exercise=exercise,
        request=request,
        actor=actor,
        actor_role=actor_role,
        created_at=at,
        payload=payload,
        canonical=canonical_bytes(document),
    )


def _day(value) -> str | None:
    return value.isoformat() if value else None


# --- Requests ---------------------------------------------------------------------------

def request_drafted_event(*, request, actor) -> AuditEvent:
    return _record(event_type="request_drafted", actor=actor, request=request,
                   payload={"agency": request.agency.code})


def request_submitted_event(*, request, actor, items, provisions, evidence=()) -> AuditEvent:
    return _record_all([_submitted(request=request, actor=actor, items=items, provisions=provisions,
                                   evidence=evidence)])[0]


def request_submitted_events(*, actor, filings) -> list[AuditEvent]:
    """request_submitted for each (request, items, provisions) of a bulk filing, written together."""
    return _record_all([_submitted(request=request, actor=actor, items=items, provisions=provisions)
                        for request, items, provisions in filings])


def _submitted(*, request, actor, items, provisions, evidence=()) -> AuditEvent:
    return _event(
        event_type="request_submitted",
        actor=actor,
        request=request,
        payload={
            "agency": request.agency.code,
            "jurisdiction": request.agency.jurisdiction_id,
            "authority_type": request.authority_type,
            "category": request.category,
            "requested_action": request.requested_action,
            "urgency": request.urgency,
            "submission_method": request.submission_method,
            "provisions": [provision.code for provision in provisions],
            "court_order": {
                "court": request.court_name,
                "case_number": request.court_case_number,
                "date": _day(request.court_order_date),
            } if request.has_court_order else None,
            "items": [
                {"position": item.position, "content": item.content.code if item.content else None,
                 "url": item.url, "snapshot_sha256": item.snapshot_sha256}
                for item in items
            ],
            "evidence": [{"kind": e.kind, "sha256": e.sha256} for e in evidence],
        },
    )


def evidence_added_event(*, evidence, actor) -> AuditEvent:
    return _record(
        event_type="evidence_added",
        actor=actor,
        request=evidence.request,
        payload={"kind": evidence.kind, "content_type": evidence.content_type, "size": evidence.size,
                 "sha256": evidence.sha256},
    )


def screening_started_event(*, request) -> AuditEvent:
    return _record_all([_screening_started(request=request)])[0]


def screening_started_events(*, requests) -> list[AuditEvent]:
    """screening_started for each request of a batch, written together."""
    return _record_all([_screening_started(request=request) for request in requests])


def _screening_started(*, request) -> AuditEvent:
    return _event(event_type="screening_started", role=roles.SYSTEM, request=request,
                  payload={"round": request.screening_round})


def check_completed_events(*, request, results) -> list[AuditEvent]:
    """One check_completed event per result, in the results' order, written together."""
    return _record_all(_checks_completed(request=request, results=results))


def _checks_completed(*, request, results) -> list[AuditEvent]:
    return [_event(
        event_type="check_completed",
        role=roles.SYSTEM,
        request=request,
        payload={"round": result.round, "position": result.position, "check": result.name,
                 "version": result.version, "verdict": result.verdict, "flags": result.flags},
    ) for result in results]


def request_routed_event(*, request, route: dict, workflow_version: str, rules_version: str) -> AuditEvent:
    return _record_all([_routed(request=request, route=route, workflow_version=workflow_version,
                                rules_version=rules_version)])[0]


def _routed(*, request, route: dict, workflow_version: str, rules_version: str) -> AuditEvent:
    return _event(
        event_type="request_routed",
        role=roles.SYSTEM,
        request=request,
        payload={"round": request.screening_round, "workflow_version": workflow_version,
                 "rules_version": rules_version, **route},
    )


def screenings_finished_events(*, screenings) -> list[AuditEvent]:
    """What screening one request writes, for each of a batch, with two INSERTs however many there are.

    ``screenings`` holds (request, results, route, workflow_version, rules_version, info) where
    ``info`` is (missing, message_id) for a request sent back for information, else None. Each
    request's events come in the order the one-by-one path writes them: check_completed for each
    result, info_requested, request_routed.
    """
    built = []
    for request, results, route, workflow_version, rules_version, info in screenings:
        built += _checks_completed(request=request, results=results)
        if info is not None:
            missing, message_id = info
            built.append(_info_requested(request=request, actor=None, missing=missing, message_id=message_id))
        built.append(_routed(request=request, route=route, workflow_version=workflow_version,
                             rules_version=rules_version))
    return _record_all(built)


def screening_reenqueued_event(*, request, stuck_since) -> AuditEvent:
    return _record(event_type="screening_reenqueued", role=roles.SYSTEM, request=request,
                   payload={"status": request.status, "stuck_since": stuck_since.isoformat()})


def info_requested_event(*, request, actor, missing: list, message_id: int | None) -> AuditEvent:
    return _record_all([_info_requested(request=request, actor=actor, missing=missing, message_id=message_id)])[0]


def _info_requested(*, request, actor, missing: list, message_id: int | None) -> AuditEvent:
    return _event(event_type="info_requested", actor=actor, role=None if actor else roles.SYSTEM,
                  request=request, payload={"missing": missing, "message": message_id})


def info_provided_event(*, request, actor, message_id: int, changed_fields: list[str]) -> AuditEvent:
    return _record(event_type="info_provided", actor=actor, request=request,
                   payload={"message": message_id, "changed": changed_fields})


def request_withdrawn_event(*, request, actor, previous_status: str, reason: str) -> AuditEvent:
    return _record(event_type="request_withdrawn", actor=actor, request=request,
                   payload={"from": previous_status, "reason": reason})


def reconsideration_requested_event(*, request, actor, message_id: int) -> AuditEvent:
    return _record(event_type="reconsideration_requested", actor=actor, request=request,
                   payload={"message": message_id, "round": request.review_round})


def request_closed_event(*, request, actor=None, reason: str) -> AuditEvent:
    return _record(event_type="request_closed", actor=actor, role=None if actor else roles.SYSTEM,
                   request=request, payload={"reason": reason, "outcome": request.outcome})


# --- Review ------------------------------------------------------------------------------

def request_claimed_event(*, request, reviewer) -> AuditEvent:
    return _record(event_type="request_claimed", actor=reviewer, request=request,
                   payload={"queue": request.queue})


def claim_released_event(*, request, reviewer, expired: bool = False) -> AuditEvent:
    return _record(event_type="claim_expired" if expired else "claim_released",
                   actor=None if expired else reviewer, role=roles.SYSTEM if expired else None,
                   request=request, payload={"queue": request.queue, "reviewer": f"user:{reviewer.pk}"})


def request_escalated_event(*, request, actor, from_queue: str, to_queue: str, note: str) -> AuditEvent:
    return _record(event_type="request_escalated", actor=actor, request=request,
                   payload={"from": from_queue, "to": to_queue, "note": note})


def sla_breached_event(*, request, priority_before: int) -> AuditEvent:
    return _record(event_type="sla_breached", role=roles.SYSTEM, request=request,
                   payload={"queue": request.queue, "due": request.sla_due_at.isoformat(),
                            "priority_before": priority_before, "priority": request.priority})


def item_decided_event(*, decision) -> AuditEvent:
    return _record(
        event_type="item_decided",
        actor=decision.reviewer,
        request=decision.request,
        payload={"item": decision.item.position, "round": decision.round, "action": decision.action,
                 "reason": decision.reason_code, "rationale": decision.rationale,
                 "contradicts_checks": decision.contradicts_checks, "tier": decision.reviewer_tier},
    )


def request_decided_event(*, request, actor) -> AuditEvent:
    return _record(event_type="request_decided", actor=actor, request=request,
                   payload={"outcome": request.outcome, "round": request.review_round})


# --- Accounts, rules, exports --------------------------------------------------------------

def reporter_registered_event(*, account) -> AuditEvent:
    return _record(event_type="reporter_registered", actor=account.user, role=roles.REPORTER,
                   exercise=account.exercise, payload={"agency": account.agency.code,
                                                       "agency_state": account.agency.state})


def reporter_verification_event(*, account, actor) -> AuditEvent:
    return _record(event_type=f"reporter_{account.verification}", actor=actor, exercise=account.exercise,
                   payload={"reporter": f"user:{account.user_id}", "agency": account.agency.code,
                            "note": account.verification_note})


def api_token_event(*, actor, exercise, issued: bool, replaced: bool = False) -> AuditEvent:
    """An API token issued (or replaced) or revoked by its holder; the key itself is never recorded."""
    return _record(event_type="api_token_issued" if issued else "api_token_revoked", actor=actor, exercise=exercise,
                   payload={"replaced": replaced} if issued else {})


def ruleset_activated_event(*, ruleset, actor, previous_version: str | None) -> AuditEvent:
    return _record(event_type="ruleset_activated", actor=actor,
                   payload={"version": ruleset.version, "sha256": ruleset.data_sha256,
                            "previous": previous_version})


def export_created_event(*, actor, kind: str, filters: dict, rows: int | None = None, exercise=None) -> AuditEvent:
    return _record(event_type="export_created", actor=actor, exercise=exercise,
                   payload={"kind": kind, "filters": filters, "rows": rows})


def agency_state_changed_event(*, agency, actor, exercise, previous_state: str) -> AuditEvent:
    """A proposed agency accepted (``active``) or turned down (``rejected``) with its registrant's account."""
    event_type = "agency_accepted" if agency.state == "active" else f"agency_{agency.state}"
    return _record(event_type=event_type, actor=actor, exercise=exercise,
                   payload={"agency": agency.code, "jurisdiction": agency.jurisdiction_id, "name": agency.name,
                            "authority_type": agency.authority_type, "from": previous_state})


# --- Exercises ------------------------------------------------------------------------------

def exercise_created_event(*, exercise, actor, loaded: dict) -> AuditEvent:
    return _record(event_type="exercise_created", actor=actor, exercise=exercise,
                   payload={"name": exercise.name, "scenario": exercise.scenario, "loaded": loaded})


def exercise_joined_event(*, membership) -> AuditEvent:
    return _record(event_type="exercise_joined", actor=membership.user, role=roles.STUDENT,
                   exercise=membership.exercise, payload={"member": f"user:{membership.user_id}"})


def exercise_role_assigned_event(*, membership, actor) -> AuditEvent:
    return _record(event_type="exercise_role_assigned", actor=actor, exercise=membership.exercise,
                   payload={"member": f"user:{membership.user_id}", "role": membership.role,
                            "agency": membership.agency.code if membership.agency else None,
                            "platform_account": membership.platform_account.handle
                            if membership.platform_account else None})


def exercise_state_changed_event(*, exercise, actor, previous_state: str) -> AuditEvent:
    return _record(event_type="exercise_opened" if exercise.state == "open" else "exercise_closed",
                   actor=actor, exercise=exercise, payload={"from": previous_state, "to": exercise.state})


# --- Affected users' appeals ------------------------------------------------------------------

def appeal_filed_event(*, appeal) -> AuditEvent:
    # The statement is the affected user's own words: the log keeps its hash, the appeal keeps the text.
    return _record(event_type="appeal_filed", actor=appeal.filed_by, role=roles.AFFECTED_USER,
                   request=appeal.request,
                   payload={"appeal": appeal.pk, "item": appeal.item.position, "content": appeal.item.content.code,
                            "decision_round": appeal.decision.round, "decision_action": appeal.decision.action,
                            "statement_sha256": hashlib.sha256(appeal.statement.encode("utf-8")).hexdigest()})


def appeal_decided_event(*, appeal) -> AuditEvent:
    return _record(event_type="appeal_decided", actor=appeal.decided_by, request=appeal.request,
                   payload={"appeal": appeal.pk, "item": appeal.item.position, "outcome": appeal.status,
                            "rationale": appeal.rationale, "content_restored": appeal.content_restored,
                            "original_reviewer": f"user:{appeal.decision.reviewer_id}"})
