"""The SQL statements code sends, read where Django runs them.

Django's CaptureQueriesContext records None for a statement psycopg runs prepared (those written
once, reports/statements.py, from their sixth use on a connection), so a test that reads the
statements' text after other tests have used the same connection would find None among them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The text of every statement sent on the default connection inside the block, in order."""
    sent: list[str] = []

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield sent
