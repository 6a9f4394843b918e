"""Writing many rows with one statement per table and no model instances: ``COPY`` on PostgreSQL.

Django's ``bulk_create`` builds a model instance per row, compiles an ``INSERT ... UNNEST`` through
the ORM, and on psycopg 3 (client-side binding, Django's default) quotes each element of each array
parameter with a regular-expression substitution: for a screening batch's 700 events, 400 check
results and 100 screening runs that was most of the batch's SQL time, on the client. Here the rows
are tuples of Python values in the order of the fields named, and on PostgreSQL they are streamed
with ``COPY table (columns) FROM STDIN`` inside the caller's transaction (psycopg formats the rows in
C). Ids that other rows must refer to (an event's ``PendingSeal``, a run's check results) are taken
from the table's identity sequence first, in one statement, exactly as ``INSERT`` would take them.
On other databases (SQLite) the same rows go through ``bulk_create``, which gives the ids back.

Each COPY runs through Django's cursor wrappers, so ``connection.execute_wrapper`` (instrumentation,
the benchmark's timing) and ``CaptureQueriesContext`` (the tests' statement counts) see it as one
statement, and database errors arrive as Django's (``IntegrityError``, ``OperationalError``).

Values must already be of the column's Python type: ``int``, ``str``, ``bytes``, ``uuid.UUID``,
aware ``datetime``, ``None``; JSON fields take any JSON-serialisable value and are encoded here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from functools import lru_cache

from django.db import connection
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import JSONField, Model

from reports.statements import server_bound_cursor

# Fewer rows than this are not worth a COPY's extra round trips (callers may use a plain INSERT).
COPY_MIN_ROWS = 8

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_sequences: dict[tuple[str, str], str] = {}


def copy_supported() -> bool:
    return connection.vendor == "postgresql"


def ids_take(model: type[Model], count: int) -> list[int]:
    """``count`` new primary keys from ``model``'s sequence, in ascending order (PostgreSQL only)."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [_sequence(model), count])
        return sorted(row[0] for row in cursor.fetchall())


def _sequence(model: type[Model]) -> str:
    """The identity sequence behind ``model``'s primary key, looked up once per database."""
    key = (connection.settings_dict["NAME"], model._meta.db_table)
    if key not in _sequences:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])
            _sequences[key] = cursor.fetchone()[0]
    return _sequences[key]


def rows_insert(model: type[Model], names: Sequence[str], rows: Sequence[Sequence], *,
                with_ids: bool = False) -> list[int]:
    """Insert ``rows`` (values of the fields ``names``, by attribute name: ``request_id``) in their order.

    Returns the new rows' primary keys, in the rows' order, when ``with_ids`` (else an empty list).
    """
    if not rows:
        return []
    if not copy_supported():
        created = model.objects.bulk_create(model(**dict(zip(names, row, strict=True))) for row in rows)
        return [instance.pk for instance in created] if with_ids else []
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    json_at = [position for position, field in enumerate(fields) if isinstance(field, JSONField)]
    columns = [field.column for field in fields]
    if len(rows) < COPY_MIN_ROWS:
        return _insert_values(meta, columns, json_at, [_json_encoded(row, json_at) for row in rows], with_ids)
    ids = ids_take(model, len(rows)) if with_ids else []
    if with_ids:
        columns.insert(0, meta.pk.column)
        json_at = [position + 1 for position in json_at]
        rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
    if json_at:
        rows = [_json_encoded(row, json_at) for row in rows]
    copy_rows(meta.db_table, columns, rows)
    return ids


def recordset_insert(instances: Sequence[Model]) -> tuple[str, str, bool]:
    """New instances of one model as one ``INSERT`` taking its rows from a single JSON parameter: (sql, json, with_ids).

    The statement's text is the same however many rows there are, and it has one parameter: psycopg
    converts it once and the server prepares it, where an ``INSERT ... VALUES`` with a placeholder per
    value changes with the row count and, past 50 values, is converted anew on every call. The rows
    are inserted in their order (each id is taken from the sequence as its row comes); with ids (the
    instances have none) the statement returns them. Each field's ``pre_save`` runs as in
    ``instances_insert``. For a statement that writes several tables at once (audit/events.py).
    """
    with_ids = instances[0].pk is None
    fields, sql = _recordset_statement(type(instances[0]), with_ids)
    rows = [{field.column: json_value(_stored(field.pre_save(instance, True))) for field in fields}
            for instance in instances]
    return sql, _JSON.encode(rows), with_ids


@lru_cache(maxsize=32)
def _recordset_statement(model: type[Model], with_ids: bool) -> tuple[tuple, str]:
    """The fields a new row of ``model`` states (all but the id, if it takes one) and its ``recordset_sql``."""
    fields = tuple(field for field in model._meta.concrete_fields
                   if not (with_ids and field.primary_key) and not field.generated)
    return fields, recordset_sql(model._meta, tuple(field.column for field in fields), with_ids)


def together_parts(groups: Sequence[Sequence[Model]]) -> tuple[str, list, str]:
    """The ``WITH`` entries (``rows0 AS (...), ``), parameters and id selections of ``groups`` written in one statement.

    Each group is one model's new instances, an ``INSERT`` from a JSON parameter
    (``recordset_insert``); the selections (`` UNION ALL SELECT 0, id FROM rows0``) give each new id
    with its group's number, for ``together_ids``.
    """
    entries, params, selections = [], [], []
    for number, group in enumerate(groups):
        sql, rows, with_ids = recordset_insert(group)
        entries.append(f"rows{number} AS ({sql}), ")
        params.append(rows)
        if with_ids:
            selections.append(f" UNION ALL SELECT {number}, id FROM rows{number}")  # noqa: S608 (numbers only)
    return "".join(entries), params, "".join(selections)


def together_ids(groups: Sequence[Sequence[Model]], found: Sequence[tuple[int, int]]) -> None:
    """Mark each group's instances stored, with the ids ``found`` for it (rows take their ids in their order)."""
    for number, group in enumerate(groups):
        instances_written(group, sorted(pk for of, pk in found if of == number))


def instances_insert_together(groups: Sequence[Sequence[Model]]) -> None:
    """New instances of several models (a group per model) in one statement, in the groups' order (PostgreSQL).

    For a few rows each: a request's items with its citations, say. Rows that refer to others
    written in the same statement are checked at commit, as Django's foreign keys are deferred.
    """
    groups = [group for group in groups if group]
    if not groups:
        return
    entries, params, selections = together_parts(groups)
    with server_bound_cursor() as cursor:
        # Only quoted names from the models' metadata and numbers are spliced in. The first SELECT
        # gives no row; each group's ids follow it (UNION ALL).
        cursor.execute(f"WITH {entries.removesuffix(', ')} SELECT -1, 0 WHERE false{selections}",  # noqa: S608
                       params)
        together_ids(groups, cursor.fetchall())


def recordset_sql(meta, columns: Sequence[str], with_ids: bool) -> str:
    """``INSERT INTO table (columns)`` from the rows of a JSON array (``%s``), in the array's order."""
    quote = connection.ops.quote_name
    table, names = quote(meta.db_table), ", ".join(quote(column) for column in columns)
    selected = ", ".join(f"r.{quote(column)}" for column in columns)
    returning = f" RETURNING {quote(meta.pk.column)}" if with_ids else ""
    # Only quoted names from the model's metadata and a placeholder are spliced in.
    return (f"INSERT INTO {table} ({names}) SELECT {selected} "  # noqa: S608
            f"FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) WITH ORDINALITY AS r "
            f"ORDER BY r.ordinality{returning}")


def json_value(value):
    """A column's value as JSON that PostgreSQL reads back into the column's type (``jsonb_populate_record``)."""
    if isinstance(value, bytes | memoryview):
        return "\\x" + bytes(value).hex()  # bytea's hex input form
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def instances_written(instances: Sequence[Model], ids: Sequence[int]) -> None:
    """Mark ``instances`` as stored, as ``bulk_create`` does, giving each its new id (none if ``ids`` is empty)."""
    for position, instance in enumerate(instances):
        if ids:
            instance.pk = ids[position]
        instance._state.adding, instance._state.db = False, connection.alias


def instances_insert(instances: Sequence[Model]) -> None:
    """Insert new model instances of one model as ``bulk_create`` does, without compiling through the ORM.

    Each field's ``pre_save`` runs (``auto_now_add`` times), choices are stored as their values,
    and an instance without a primary key gets the one its row took. PostgreSQL only (a few rows
    are one prepared ``INSERT``, more a ``COPY``); callers use ``bulk_create`` elsewhere.
    """
    if not instances:
        return
    meta = type(instances[0])._meta
    with_ids = instances[0].pk is None
    fields = [field for field in meta.concrete_fields if not (with_ids and field.primary_key) and not field.generated]
    rows = [[_stored(field.pre_save(instance, True)) for field in fields] for instance in instances]
    instances_written(instances, rows_insert(type(instances[0]), [field.attname for field in fields], rows,
                                             with_ids=with_ids))


def _stored(value):
    return value.value if isinstance(value, Enum) else value


def _insert_values(meta, columns: list[str], json_at: list[int], rows: list, with_ids: bool) -> list[int]:
    """A few rows as one ``INSERT ... VALUES`` (fewer round trips than taking ids and a COPY), bound on the server."""
    quote = connection.ops.quote_name
    row = "(" + ", ".join("%s::jsonb" if position in json_at else "%s" for position in range(len(columns))) + ")"
    returning = f" RETURNING {quote(meta.pk.column)}" if with_ids else ""
    with server_bound_cursor() as cursor:
        # Only quoted names from the model's metadata and placeholders are spliced in.
        cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
                       f"VALUES {', '.join([row] * len(rows))}{returning}", [value for row in rows for value in row])
        # The rows of one VALUES list take their ids from the sequence one after the other, in order.
        return sorted(found[0] for found in cursor.fetchall()) if with_ids else []


def json_text(value) -> str:
    """A JSON field's value as the text PostgreSQL parses into ``jsonb`` (the same value Django would store)."""
    return _JSON.encode(value)


def _json_encoded(row: Sequence, positions: list[int]) -> list:
    row = list(row)
    for position in positions:
        row[position] = _JSON.encode(row[position])
    return row


def copy_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """``COPY table (columns) FROM STDIN`` with ``rows``, as one statement of the current transaction."""
    quote = connection.ops.quote_name
    # Only quoted names from the models' metadata are spliced in; every value travels as COPY data.
    sql = f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    with connection.cursor() as cursor:

        def copy(sql, _params, _many, _context):
            connection.validate_no_broken_transaction()
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as stream:
                for row in rows:
                    stream.write_row(row)

        logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
        with logged:
            cursor._execute_with_wrappers(sql, None, False, executor=copy)
