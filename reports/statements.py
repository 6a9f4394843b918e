"""Reads that run as statements written once, on PostgreSQL: no ORM composing per call, prepared by the server.

The ORM composes and compiles every query anew. For the reads that every filing or API call makes
(the caller's reporter account, the posts and provisions a filing cites) that composing cost more
CPU than the database's work. These statements are written once from the models' metadata, bound
on the server (which prepares a statement it sees again and again: ``CRS_DB_PREPARE_THRESHOLD``),
and their rows become model instances as the ORM would make them (``from_db``, each field's
conversion from the database).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

from django.db import connection
from django.db.models import Model


@contextmanager
def server_bound_cursor():
    """A cursor of Django's connection that binds parameters on the server (PostgreSQL), through Django's wrappers.

    Django's cursors bind on the client: psycopg parses the statement for placeholders and quotes
    every value into its text (a regular expression per text value). A server-bound cursor sends the
    values apart from the statement, and the server prepares a statement it sees again and again
    (after ``CRS_DB_PREPARE_THRESHOLD`` uses, config/env.py).
    """
    import psycopg  # the PostgreSQL driver, present wherever this runs

    connection.ensure_connection()
    with connection._prepare_cursor(psycopg.Cursor(connection.connection)) as cursor:
        yield cursor


def table(model: type[Model]) -> str:
    """``model``'s table, quoted for a statement."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    """The column of ``model``'s field ``name`` (``pk`` for the primary key), quoted for a statement."""
    meta = model._meta
    return connection.ops.quote_name((meta.pk if name == "pk" else meta.get_field(name)).column)


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of ``model``, in field order, prefixed by the table's alias in the statement."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def instances(row: Sequence, models: Sequence[type[Model]]) -> list[Model]:
    """One instance of each model from a row holding each one's ``columns`` in turn."""
    made, start = [], 0
    for model in models:
        fields = model._meta.concrete_fields
        values = [field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
                  for field, value in zip(fields, row[start:start + len(fields)], strict=True)]
        made.append(model.from_db(connection.alias, [field.attname for field in fields], values))
        start += len(fields)
    return made


def related_set(instance: Model, name: str, related: Model) -> None:
    """Give ``instance`` its related object ``name`` as ``select_related`` would: reading it costs no query."""
    instance._state.fields_cache[name] = related
