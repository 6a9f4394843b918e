"""One constructor per audit event type, so that every event has the same shape.

Each is called inside the transaction of the change it records: the event exists
exactly when the change does. Payloads name agencies, codes and references, never
a person's name or e-mail (actors appear as ``user:<id>``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from django.db.models import Model
from django.utils import timezone

from audit import inserts
from audit.canonical import canonical_bytes, event_document
from audit.models import AuditEvent, PendingSeal
from reports import roles, statements
from reports.statements import server_bound_cursor

# What an event row holds, in the order ``NewEvent`` keeps it (attribute names of AuditEvent's fields).
EVENT_FIELDS = ("uid", "event_type", "exercise_id", "request_id", "actor_id", "actor_role", "created_at", "payload",
                "canonical")


class NewEvent(NamedTuple):
    """An event built but not yet written: the row's values, without a model instance."""

    uid: uuid.UUID
    event_type: str
    exercise_id: int | None
    request_id: int | None
    actor_id: int | None
    actor_role: str
    created_at: object
    payload: dict
    canonical: bytes


class Subject(NamedTuple):
    """What an event needs of the request it is about: enough to write it without loading the request."""

    request_id: int
    reference: str
    exercise_id: int | None
    exercise_slug: str | None


def subject_of(request) -> Subject:
    exercise = request.exercise
    return Subject(request.pk, request.reference, exercise.pk if exercise is not None else None,
                   exercise.slug if exercise is not None else None)


def _record(*, event_type: str, actor=None, role: str | None = None, request=None, exercise=None,
            payload: dict | None = None, written_with: Sequence[Sequence[Model]] = ()) -> AuditEvent:
    return _record_one(_event(event_type=event_type, actor=actor, role=role, request=request, exercise=exercise,
                              payload=payload), written_with)


def _record_one(event: NewEvent, written_with: Sequence[Sequence[Model]] = ()) -> AuditEvent:
    """Store one event (with the new rows ``written_with``); returns it as a model instance (callers read its pk)."""
    (pk,) = _record_all([event], written_with)
    return AuditEvent(pk=pk, **event._asdict())


def _record_all(events: list[NewEvent], written_with: Sequence[Sequence[Model]] = ()) -> list[int]:
    """Store events, in their order, with their PendingSeal rows; returns their ids, in the same order.

    ``written_with``: new model instances (one model per group, ids taken already or not) that the
    change these events record writes, stored first; each instance is then marked stored, with its id.

    On PostgreSQL a few events are one statement (the event rows and their seal rows in one
    ``INSERT ... RETURNING``), with the few rows of ``written_with`` in the same statement; a batch
    three (ids from the sequence, a ``COPY`` of the events, a ``COPY`` of their seal rows:
    audit/inserts.py), after an insert per group; elsewhere ``bulk_create``s.
    """
    groups = [group for group in written_with if group]
    if not events:
        for group in groups:
            _instances_insert(group)
        return []
    # Queued for the transparency log in the same transaction: an event is sealed exactly when it exists.
    if not inserts.copy_supported():
        for group in groups:
            _instances_insert(group)
        ids = inserts.rows_insert(AuditEvent, EVENT_FIELDS, events, with_ids=True)
        PendingSeal.objects.bulk_create(PendingSeal(event_id=pk) for pk in ids)
        return ids
    if written_in_one_statement(len(events), *map(len, groups)):
        return _insert_sealed(events, groups)
    for group in groups:
        _instances_insert(group)
    ids = inserts.rows_insert(AuditEvent, EVENT_FIELDS, events, with_ids=True)
    inserts.rows_insert(PendingSeal, ("event_id",), [(pk,) for pk in ids])
    return ids


def written_in_one_statement(*rows_per_table: int) -> bool:
    """Whether a change's events and new rows (this many for each table) are one statement (PostgreSQL).

    Such a change needs no transaction of its own: PostgreSQL commits or refuses the statement whole.
    """
    return inserts.copy_supported() and all(rows < inserts.COPY_MIN_ROWS for rows in rows_per_table)


def _instances_insert(group: Sequence[Model]) -> None:
    if inserts.copy_supported():
        inserts.instances_insert(group)
    else:
        type(group[0]).objects.bulk_create(group)


def _insert_sealed(events: list[NewEvent], groups: Sequence[Sequence[Model]] = ()) -> list[int]:
    """A few events and their PendingSeal rows in one statement (PostgreSQL), after the few rows of ``groups``.

    Each table's rows are one ``INSERT`` in the statement's ``WITH`` list (PostgreSQL runs every
    one), taking its rows from one JSON parameter (``inserts.recordset_insert``): the statement's text
    depends only on which tables it writes, so it is prepared once whatever the number of rows. Rows
    that refer to others (an item to its request) are checked at commit, as Django's foreign keys are
    deferred. The statement returns each new id with its group's number.
    """
    written_first, params, returning = inserts.together_parts(groups)
    params.append(inserts.json_text([{column: inserts.json_value(value) for column, value in zip(
        _event_columns(), event, strict=True)} for event in events]))
    with server_bound_cursor() as cursor:
        # Only quoted names from the models' metadata and numbers are spliced in.
        cursor.execute(
            f"WITH {written_first}written AS ({_events_sql()}), "  # noqa: S608
            f"sealed AS (INSERT INTO {statements.table(PendingSeal)} (event_id) SELECT id FROM written) "
            f"SELECT -1, id FROM written{returning}",
            params)
        found = cursor.fetchall()
    inserts.together_ids(groups, found)
    return sorted(pk for of, pk in found if of == -1)


@lru_cache(maxsize=1)
def _event_columns() -> tuple[str, ...]:
    return tuple(AuditEvent._meta.get_field(name).column for name in EVENT_FIELDS)


@lru_cache(maxsize=1)
def _events_sql() -> str:
    return inserts.recordset_sql(AuditEvent._meta, _event_columns(), with_ids=True)


def _event(*, event_type: str, actor=None, role: str | None = None, request=None, exercise=None,
           payload: dict | None = None) -> NewEvent:
    if request is not None:
        subject = subject_of(request) if exercise is None else Subject(
            request.pk, request.reference, exercise.pk, exercise.slug)
        return _new_event(event_type=event_type, actor=actor, role=role, subject=subject, payload=payload)
    return _new_event(event_type=event_type, actor=actor, role=role, payload=payload,
                      exercise_id=exercise.pk if exercise is not None else None,
                      exercise_slug=exercise.slug if exercise is not None else None)


def _new_event(*, event_type: str, actor=None, role: str | None = None, subject: Subject | None = None,
               exercise_id: int | None = None, exercise_slug: str | None = None,
               payload: dict | None = None) -> NewEvent:
    if subject is not None:
        exercise_id, exercise_slug = subject.exercise_id, subject.exercise_slug
    uid = uuid.uuid4()
    at = timezone.now()
    actor_role = role or roles.role_of(actor)
    payload = payload or {}
    document = event_document(
        uid=str(uid),
        event_type=event_type,
        at=at,
        exercise=exercise_slug,
        request=subject.reference if subject is not None else None,
        actor_id=f"user:{actor.pk}" if actor is not None else roles.SYSTEM,
        actor_role=actor_role,
        payload=payload,
    )
    return NewEvent(uid, event_type, exercise_id, subject.request_id if subject is not None else None,
                    actor.pk if actor is not None else None, actor_role, at, payload, canonical_bytes(document))


def _day(value) -> str | None:
    return value.isoformat() if value else None


# --- Requests ---------------------------------------------------------------------------

def request_drafted_event(*, request, actor, written_with: Sequence[Sequence[Model]] = ()) -> AuditEvent:
    """``written_with``: the new draft's own rows (request, items, citations), if not stored yet (``_record_all``)."""
    return _record(event_type="request_drafted", actor=actor, request=request,
                   payload={"agency": request.agency.code}, written_with=written_with)


def request_submitted_event(*, request, actor, items, provisions, evidence=()) -> AuditEvent:
    return _record_one(_submitted(request=request, actor=actor, items=items, provisions=provisions,
                                  evidence=evidence))


def request_submitted_events(*, actor, filings, written_with: Sequence[Sequence[Model]] = ()) -> list[AuditEvent]:
    """request_submitted for each (request, items, provisions) of a bulk filing, written together, in that order.

    ``written_with``: the filings' own new rows (requests, items, citations), if not stored yet,
    are stored with the events (see ``_record_all``).
    """
    written = [_submitted(request=request, actor=actor, items=items, provisions=provisions)
               for request, items, provisions in filings]
    ids = _record_all(written, written_with)
    return [AuditEvent(pk=pk, **event._asdict()) for pk, event in zip(ids, written, strict=True)]


def _submitted(*, request, actor, items, provisions, evidence=()) -> NewEvent:
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
    return _record_one(_screening_started(subject_of(request), request.screening_round))


def screening_started_events(*, started: list[tuple[Subject, int]]) -> list[int]:
    """screening_started for each (request, round) of a batch, written together; their ids."""
    return _record_all([_screening_started(subject, round_) for subject, round_ in started])


def _screening_started(subject: Subject, round_: int) -> NewEvent:
    return _new_event(event_type="screening_started", role=roles.SYSTEM, subject=subject, payload={"round": round_})


def check_completed_events(*, request, results) -> list[int]:
    """One check_completed event per result (CheckResult), in the results' order, written together; their ids."""
    subject = subject_of(request)
    return _record_all([_check_completed(subject, result.round, result.position, result) for result in results])


def _check_completed(subject: Subject, round_: int, position: int, check) -> NewEvent:
    """``check`` is a stored CheckResult or the CheckOutcome it was made from (name, version, verdict, flags)."""
    return _new_event(
        event_type="check_completed",
        role=roles.SYSTEM,
        subject=subject,
        payload={"round": round_, "position": position, "check": check.name, "version": check.version,
                 "verdict": check.verdict, "flags": check.flags},
    )


def request_routed_event(*, request, route: dict, workflow_version: str, rules_version: str) -> AuditEvent:
    return _record_one(_routed(subject_of(request), request.screening_round, route=route,
                               workflow_version=workflow_version, rules_version=rules_version))


def _routed(subject: Subject, round_: int, *, route: dict, workflow_version: str, rules_version: str) -> NewEvent:
    return _new_event(
        event_type="request_routed",
        role=roles.SYSTEM,
        subject=subject,
        payload={"round": round_, "workflow_version": workflow_version, "rules_version": rules_version, **route},
    )


def screenings_finished_events(*, screenings) -> list[int]:
    """What screening one request writes, for each of a batch, with one statement per table however many; their ids.

    ``screenings`` holds (subject, round, outcomes, route, workflow_version, rules_version, info):
    ``subject`` a ``Subject`` (or a request), ``outcomes`` the checks' outcomes in their order
    (positions from 1), ``info`` (missing, message_id) for a request sent back for information, else
    None. Each request's events come in the order the one-by-one path writes them: check_completed
    for each check, info_requested, request_routed.
    """
    built = []
    for subject, round_, outcomes, route, workflow_version, rules_version, info in screenings:
        if not isinstance(subject, Subject):
            subject = subject_of(subject)
        built += [_check_completed(subject, round_, position, outcome)
                  for position, outcome in enumerate(outcomes, start=1)]
        if info is not None:
            missing, message_id = info
            built.append(_info_requested(subject, actor=None, missing=missing, message_id=message_id))
        built.append(_routed(subject, round_, route=route, workflow_version=workflow_version,
                             rules_version=rules_version))
    return _record_all(built)


def screening_reenqueued_event(*, request, stuck_since) -> AuditEvent:
    return _record(event_type="screening_reenqueued", role=roles.SYSTEM, request=request,
                   payload={"status": request.status, "stuck_since": stuck_since.isoformat()})


def info_requested_event(*, request, actor, missing: list, message_id: int | None) -> AuditEvent:
    return _record_one(_info_requested(subject_of(request), actor=actor, missing=missing, message_id=message_id))


def _info_requested(subject: Subject, *, actor, missing: list, message_id: int | None) -> NewEvent:
    return _new_event(event_type="info_requested", actor=actor, role=None if actor else roles.SYSTEM,
                      subject=subject, payload={"missing": missing, "message": message_id})


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
