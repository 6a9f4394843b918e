"""The batch screening's reads and its start of screening as SQL statements written once (PostgreSQL).

A screening task of a few requests (a claim of single filings, a share of a bulk call) spent most
of its fixed cost compiling ORM queries (``as_sql``, ``get_select``, ``build_filter``: about a
millisecond each) and building model instances. These statements are composed once per process
from the models' metadata (table and column names, the transitions' states) and take the ids as
one array parameter, bound on the server (psycopg prepares a statement it has run a few times, so
PostgreSQL plans each once per connection); each returns plain rows. screening.py uses them on PostgreSQL and the ORM
elsewhere (SQLite); tests/review/test_batch_screening.py compares the batch path with the
one-by-one path on whichever database the tests run.

Locks are taken as the ORM path takes them: the requests' rows only (``FOR UPDATE OF``), in
primary-key order, so two batches never deadlock; a claim skips rows another claim holds.
"""

from __future__ import annotations

import json
from functools import lru_cache

from django.db import connection
from django.db.models import JSONField
from django.utils import timezone

from audit.events import Subject
from reports import transitions
from reports.models import Agency, Exercise, Status, TakedownRequest
from reports.statements import server_bound_cursor

_REQUEST = TakedownRequest._meta
_START = "start_screening"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(meta, name: str) -> str:
    return _quote(meta.get_field(name).column)


def _table(meta) -> str:
    return _quote(meta.db_table)


@lru_cache(maxsize=1)
def _start_sql() -> str:
    sources, _target = transitions.ALLOWED[_START]
    assert sources == {Status.SUBMITTED}, "the statement starts screening from submitted only"
    t = _REQUEST
    return (
        f"WITH locked AS (SELECT {_column(t, 'id')} FROM {_table(t)} "  # noqa: S608
        f"WHERE {_column(t, 'id')} = ANY(%(ids)s) AND {_column(t, 'status')} = %(source)s "
        f"ORDER BY {_column(t, 'id')} FOR UPDATE) "
        f"{_start_update('locked')}")


def _start_update(claimed: str) -> str:
    """``UPDATE`` moving the rows of the CTE ``claimed`` to screening, returning what their events need."""
    t, e = _REQUEST, Exercise._meta
    round_ = _column(t, "screening_round")
    return (
        f"UPDATE {_table(t)} AS t SET {_column(t, 'status')} = %(target)s, {round_} = t.{round_} + 1, "  # noqa: S608
        f"{_column(t, 'last_activity_at')} = %(now)s "
        f"FROM {claimed}, {_table(e)} AS e "
        f"WHERE t.{_column(t, 'id')} = {claimed}.{_column(t, 'id')} "
        f"AND e.{_quote(e.pk.column)} = t.{_column(t, 'exercise')} "
        f"RETURNING t.{_column(t, 'id')}, t.{_column(t, 'reference')}, t.{_column(t, 'exercise')}, "
        f"e.{_column(e, 'slug')}, t.{round_}")


def _started(rows) -> list[tuple[Subject, int]]:
    return [(Subject(pk, reference, exercise_id, slug), round_)
            for pk, reference, exercise_id, slug, round_ in sorted(rows)]


def screening_start(ids: list[int]) -> list[tuple[Subject, int]]:
    """Lock the requests of ``ids`` still ``submitted`` and move them to ``screening`` (the next round), one statement.

    Returns (subject, round) for each request moved, in primary-key order, for its screening_started event.
    """
    with server_bound_cursor() as cursor:
        cursor.execute(_start_sql(), {"ids": ids, "source": Status.SUBMITTED.value,
                                      "target": transitions.ALLOWED[_START][1].value, "now": timezone.now()})
        return _started(cursor.fetchall())


@lru_cache(maxsize=1)
def _claim_sql() -> str:
    t = _REQUEST
    pk, status = _column(t, "id"), _column(t, "status")
    return (
        f"WITH claimed AS (SELECT {pk}, {status} FROM {_table(t)} "  # noqa: S608
        f"WHERE {status} = %(source)s OR ({pk} = %(own)s AND {status} = %(target)s) "
        f"ORDER BY {pk} LIMIT %(limit)s FOR UPDATE SKIP LOCKED), "
        f"waiting AS (SELECT {pk} FROM claimed WHERE {status} = %(source)s), "
        f"started AS ({_start_update('waiting')}) "
        f"SELECT claimed.{pk}, started.* FROM claimed LEFT JOIN started ON started.{pk} = claimed.{pk} "
        f"ORDER BY claimed.{pk}")


def submitted_claim(own: int | None, limit: int) -> tuple[list[int], list[tuple[Subject, int]]]:
    """Claim up to ``limit`` requests waiting in ``submitted`` that no other claim holds (and ``own`` if it was
    left in ``screening``), moving those ``submitted`` to ``screening``: one statement.

    Returns the ids claimed, and (subject, round) for each request moved, both in primary-key order.
    """
    with server_bound_cursor() as cursor:
        cursor.execute(_claim_sql(), {"own": own, "limit": limit, "source": Status.SUBMITTED.value,
                                      "target": transitions.ALLOWED[_START][1].value, "now": timezone.now()})
        rows = cursor.fetchall()
    return [row[0] for row in rows], _started(row[1:] for row in rows if row[1] is not None)


@lru_cache(maxsize=4)
def _rows_sql(names: tuple[str, ...]) -> str:
    t, a, e = _REQUEST, Agency._meta, Exercise._meta
    return (
        f"SELECT {', '.join('t.' + _column(t, name) for name in names)}, "  # noqa: S608
        f"a.{_column(a, 'jurisdiction')}, e.{_column(e, 'slug')} "
        f"FROM {_table(t)} AS t JOIN {_table(a)} AS a ON a.{_quote(a.pk.column)} = t.{_column(t, 'agency')} "
        f"JOIN {_table(e)} AS e ON e.{_quote(e.pk.column)} = t.{_column(t, 'exercise')} "
        f"WHERE t.{_column(t, 'id')} = ANY(%s) AND t.{_column(t, 'status')} = %s "
        f"ORDER BY t.{_column(t, 'id')} FOR UPDATE OF t")


def screening_rows(ids: list[int], names: tuple[str, ...]) -> list[dict]:
    """Lock the requests of ``ids`` in ``screening`` and read them as the ORM's ``values(*names)`` would,
    with ``jurisdiction`` (the agency's) and ``exercise_slug``; in primary-key order."""
    json_names = [name for name in names if isinstance(_REQUEST.get_field(name), JSONField)]
    keys = (*names, "jurisdiction", "exercise_slug")
    with server_bound_cursor() as cursor:
        cursor.execute(_rows_sql(names), [ids, Status.SCREENING.value])
        rows = [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        for name in json_names:
            if isinstance(row[name], str):
                row[name] = json.loads(row[name])
    return rows
