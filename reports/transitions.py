"""The request status machine: one table of allowed transitions, applied by compare-and-swap.

    draft ─submit─▶ submitted ─▶ screening ─▶ queued ─claim─▶ in_review ─▶ decided ─▶ closed
                        ▲            │           ▲  ◀─release/escalate─┘      │
                        └─respond─ needs_info ◀──┴──────── request info        │
                                                 ▲                             │
                                                 └──────── reconsider ─────────┘
    withdrawn: by the requester, from any state before a decision.
"""

from __future__ import annotations

import json
from functools import lru_cache

from django.db import connection
from django.db.models import JSONField
from django.utils import timezone

from reports.errors import IllegalTransition
from reports.models import Status, TakedownRequest

S = Status
BEFORE_DECISION = (S.DRAFT, S.SUBMITTED, S.SCREENING, S.NEEDS_INFO, S.QUEUED, S.IN_REVIEW)

ALLOWED: dict[str, tuple[set[str], str]] = {
    # action: (states it may start from, state it leads to)
    "submit": ({S.DRAFT}, S.SUBMITTED),
    "start_screening": ({S.SUBMITTED}, S.SCREENING),
    "route_to_queue": ({S.SCREENING}, S.QUEUED),
    "route_to_needs_info": ({S.SCREENING}, S.NEEDS_INFO),
    "respond": ({S.NEEDS_INFO}, S.SUBMITTED),
    "claim": ({S.QUEUED}, S.IN_REVIEW),
    "release": ({S.IN_REVIEW}, S.QUEUED),
    "request_info": ({S.IN_REVIEW}, S.NEEDS_INFO),
    "decide": ({S.IN_REVIEW}, S.DECIDED),
    "reconsider": ({S.DECIDED}, S.QUEUED),
    "close": ({S.DECIDED}, S.CLOSED),
    "withdraw": (set(BEFORE_DECISION), S.WITHDRAWN),
}

LABELS = {
    "submit": "submitted", "start_screening": "screened", "route_to_queue": "queued",
    "route_to_needs_info": "sent back for information", "respond": "answered", "claim": "claimed",
    "release": "released", "request_info": "asked for information", "decide": "decided",
    "reconsider": "reconsidered", "close": "closed", "withdraw": "withdrawn",
}


def allowed_from(action: str) -> set[str]:
    return ALLOWED[action][0]


def can(action: str, status: str) -> bool:
    return status in ALLOWED[action][0]


def apply(request: TakedownRequest, action: str, *, extra_filter: dict | None = None, **changes) -> TakedownRequest:
    """Move ``request`` along ``action`` if, and only if, the database row is still in a state that allows it.

    The conditional UPDATE is the lock: of two concurrent callers exactly one changes the
    row; the other gets IllegalTransition and nothing is written. ``request`` is updated
    in memory to match the row.
    """
    sources, target = ALLOWED[action]
    now = timezone.now()
    changes = {"status": target, "last_activity_at": now, **changes}
    rows = TakedownRequest.objects.filter(pk=request.pk, status__in=sources, **(extra_filter or {}))
    if rows.update(**changes) != 1:
        current = TakedownRequest.objects.filter(pk=request.pk).values_list("status", flat=True).first()
        state = Status(current).label.lower() if current else "missing"
        raise IllegalTransition(f"{request.reference} cannot be {LABELS[action]} while it is {state}.")
    computed = [field for field, value in changes.items() if hasattr(value, "resolve_expression")]
    for field, value in changes.items():
        if field not in computed:
            setattr(request, field, value)
    if computed:
        request.refresh_from_db(fields=computed)
    return request


def apply_many(requests: list[TakedownRequest], action: str, **changes) -> None:
    """``apply`` for many requests with the same changes, in one conditional UPDATE.

    For rows the caller has locked (``select_for_update``) and read in this transaction, so
    every one of them must move; if one does not, nothing is written. Fields set to an
    expression (``F("screening_round") + 1``) are left for the caller to update in memory.
    """
    if not requests:
        return
    sources, target = ALLOWED[action]
    changes = {"status": target, "last_activity_at": timezone.now(), **changes}
    moved = TakedownRequest.objects.filter(pk__in=[r.pk for r in requests], status__in=sources).update(**changes)
    if moved != len(requests):
        raise IllegalTransition(f"{len(requests) - moved} of {len(requests)} request(s) cannot be "
                                f"{LABELS[action]} in their current state.")
    for request in requests:
        for field, value in changes.items():
            if not hasattr(value, "resolve_expression"):
                setattr(request, field, value)


def apply_each(moves: list[tuple[TakedownRequest, str, dict]]) -> None:
    """Move each request along its own action with its own changes, in one UPDATE.

    For rows the caller has locked (``select_for_update``) and read in this transaction: the
    status read with the lock is the row's, so the allowed-transition check is made on it here.
    A field one request changes and another does not is written with the value read under the lock.
    """
    if not moves:
        return
    now = timezone.now()
    fields: set[str] = set()
    for request, action, changes in moves:
        _check_move(request.status, request.reference, action)
        changes = {"status": ALLOWED[action][1], "last_activity_at": now, **changes}
        for field, value in changes.items():
            setattr(request, field, value)
        fields.update(changes)
    requests = [request for request, _, _ in moves]
    names = sorted(fields)
    if connection.vendor == "postgresql":
        _update_from_arrays([request.pk for request in requests],
                            {name: [getattr(request, name) for request in requests] for name in names})
    else:
        TakedownRequest.objects.bulk_update(requests, names)


def apply_rows(moves: list[tuple[dict, str, dict]]) -> None:
    """``apply_each`` for requests read as rows (``values()``), not model instances: one UPDATE.

    Each row holds the request's ``id``, ``reference`` and ``status`` read under the caller's lock,
    and the current value of every field that another move of the batch changes and this one does
    not (it is written back as read). The rows are updated in place to the values written.
    """
    if not moves:
        return
    now = timezone.now()
    names: set[str] = set()
    for row, action, changes in moves:
        _check_move(row["status"], row["reference"], action)
        row.update(status=ALLOWED[action][1], last_activity_at=now, **changes)
        names.update(changes)
    names.update(("status", "last_activity_at"))
    ordered = sorted(names)
    if connection.vendor == "postgresql":
        _update_from_arrays([row["id"] for row, _, _ in moves],
                            {name: [row[name] for row, _, _ in moves] for name in ordered})
        return
    requests = [TakedownRequest(pk=row["id"], **{name: row[name] for name in ordered}) for row, _, _ in moves]
    TakedownRequest.objects.bulk_update(requests, ordered)


def _check_move(status: str, reference: str, action: str) -> None:
    sources, _target = ALLOWED[action]
    if status not in sources:
        raise IllegalTransition(f"{reference} cannot be {LABELS[action]} while it is {Status(status).label.lower()}.")


def _update_from_arrays(pks: list[int], columns: dict[str, list]) -> None:
    """Each row's new values as one ``UPDATE ... FROM unnest(arrays)``, joined on the primary key (PostgreSQL).

    ``bulk_update`` builds a ``CASE WHEN`` expression per field per row through the ORM, which
    cost more CPU than the rest of a screening batch; a ``VALUES`` list of one placeholder per value
    still cost psycopg's client-side binding a parse of the long statement and a quoting of every
    value. Here each field's values travel as one typed array parameter, bound on the server (one
    placeholder per field, so the statement text is the same for every batch), prepared by the field
    as a save would prepare them (JSON as text).
    """
    sql, fields = _update_statement(tuple(columns))
    params: list[list] = [pks]
    for field, values in zip(fields, columns.values(), strict=True):
        if isinstance(field, JSONField):
            params.append([json.dumps(value, cls=field.encoder) for value in values])
        else:
            params.append([field.get_db_prep_save(value, connection) for value in values])
    import psycopg  # the PostgreSQL driver, present wherever this runs

    connection.ensure_connection()
    # A cursor that binds on the server (Django's binds on the client), through Django's wrappers.
    with connection._prepare_cursor(psycopg.Cursor(connection.connection)) as cursor:
        cursor.execute(sql, params)


@lru_cache(maxsize=16)
def _update_statement(names: tuple[str, ...]) -> tuple[str, list]:
    """The ``UPDATE ... FROM unnest(...)`` setting the fields ``names``, and those fields (built once per set)."""
    meta = TakedownRequest._meta
    fields = [meta.get_field(name) for name in names]
    casts = [meta.pk.rel_db_type(connection)] + [field.db_type(connection) for field in fields]
    quote = connection.ops.quote_name
    columns = [quote(meta.pk.column)] + [quote(field.column) for field in fields]
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in fields)
    # Bound on the server, in binary: no value is escaped or quoted into the text.
    arrays = ", ".join(f"%b::{cast}[]" for cast in casts)
    # Only quoted names and types from the model's metadata and placeholders are spliced in.
    return (f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
            f"FROM unnest({arrays}) AS v({', '.join(columns)}) WHERE t.{columns[0]} = v.{columns[0]}"), fields
