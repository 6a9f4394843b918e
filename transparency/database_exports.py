"""The CSV export written by PostgreSQL: ``COPY (SELECT ...) TO STDOUT``, the same bytes as the Python encoder.

On PostgreSQL the request log's CSV is produced by the database, a chunk of requests per
``COPY`` statement: every cell is formatted in SQL as ``exports.csv_row`` formats it (times
as ``api_time`` writes them, booleans ``true``/``false``, per-item lists ``;``-separated,
cells a spreadsheet would run as a formula prefixed with ``'``) and the author pseudonyms
are pgcrypto's ``hmac`` under the key ``selectors.author_pseudonym`` uses. The rows are the
queryset's own (its SQL is the statement's source of ids), so the API's filters apply
exactly as on the Python path, which SQLite keeps.

Two differences between PostgreSQL's CSV and Python's ``csv`` module are made up here:
PostgreSQL ends rows with ``\\n`` (Python with ``\\r\\n``), and quotes an empty string to
tell it from NULL (every empty cell is therefore NULL). A cell holding exactly ``\\.`` would
still come out quoted; no column the export writes can hold one.

Memory: a chunk of ``COPY_CHUNK_SIZE`` rows at a time, and no statement open between
chunks, so the export job may record its progress on the same connection.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import QuerySet

from reports.models import (
    Agency,
    CitedProvision,
    ContentItem,
    LegalProvision,
    PlatformAccount,
    RequestItem,
    TakedownRequest,
)
from review.models import CheckResult, Decision
from transparency.selectors import DEFAULT_CHUNK_SIZE, PSEUDONYM_HEX_CHARS, pseudonym_key, utc_text_sql

COPY_CHUNK_SIZE = DEFAULT_CHUNK_SIZE  # rows per COPY statement, as the Python path reads them: about 0.5 MB held
CHECK_NAMES = ("completeness", "platform_policy", "local_law", "human_rights")
# exports.FORMULA_STARTS, as SQL literals.
_FORMULA_STARTS_SQL = "'=', '+', '-', '@', E'\\t', E'\\r'"


def database_exports_available() -> bool:
    return connection.vendor == "postgresql"


def _text(sql: str) -> str:
    """A text cell: empty is NULL (written empty and unquoted, as Python's csv writes '')."""
    return f"NULLIF({sql}, '')"


def _guarded(sql: str) -> str:
    """A cell of free text: prefixed with ' when a spreadsheet would run it as a formula."""
    return f"CASE WHEN left({sql}, 1) IN ({_FORMULA_STARTS_SQL}) THEN '''' || {sql} ELSE NULLIF({sql}, '') END"


def _flag(sql: str) -> str:
    return f"CASE WHEN {sql} THEN 'true' WHEN NOT {sql} THEN 'false' END"


def _csv_select(ids_sql: str, *, personal: bool) -> str:
    """The SELECT of the CSV's columns (``exports.CSV_COLUMNS``, in order) for the requests ``ids_sql`` names.

    Its parameters: those of ``ids_sql``, then the pseudonyms' HMAC key.
    """
    tables = {model.__name__: model._meta.db_table for model in (
        TakedownRequest, Agency, CitedProvision, LegalProvision, RequestItem, ContentItem, PlatformAccount,
        CheckResult, Decision, get_user_model())}
    court = "(r.court_name <> '' AND r.court_case_number <> '')"
    pseudonym = (f"CASE WHEN pa.handle <> '' THEN 'acct-' || left(encode(hmac(convert_to(pa.handle, 'UTF8'), "
                 f"%s::bytea, 'sha256'), 'hex'), {PSEUDONYM_HEX_CHARS}) END")
    handles = ("CASE WHEN bool_or(pa.handle <> '') THEN string_agg(coalesce(pa.handle, ''), ';' ORDER BY i.position) "
               "END" if personal else "NULL")
    columns = [
        ("reference", _text("r.reference")),
        ("jurisdiction", _text("a.jurisdiction_id")),
        ("agency", _guarded("a.code")),
        ("agency_name", _guarded("a.name")),
        ("authority_type", _text("r.authority_type")),
        ("submitted_by", _guarded("u.username") if personal else "NULL"),
        ("submission_method", _text("r.submission_method")),
        ("external_id", _guarded("r.external_id")),
        ("category", _text("r.category")),
        ("provisions", _guarded("prov.codes")),
        ("requested_action", _text("r.requested_action")),
        ("urgency", _text("r.urgency")),
        ("has_court_order", _flag(court)),
        ("court_name", f"CASE WHEN {court} THEN {_guarded('r.court_name')} END"),
        ("court_case_number", f"CASE WHEN {court} THEN {_guarded('r.court_case_number')} END"),
        ("court_order_date", f"CASE WHEN {court} THEN to_char(r.court_order_date, 'YYYY-MM-DD') END"),
        ("confidentiality_requested", _flag("r.confidentiality_requested")),
        ("status", _text("r.status")),
        ("outcome", _text("r.outcome")),
        ("queue", _text("r.queue")),
        ("priority", "r.priority::text"),
        ("sla_due_at", utc_text_sql("r.sla_due_at")),
        ("sla_breached", _flag("r.sla_breached")),
        ("workflow_version", _guarded("r.workflow_version")),
        ("rules_version", _guarded("r.rules_version")),
        ("screening_round", "r.screening_round::text"),
        ("review_round", "r.review_round::text"),
        *((f"check_{name}", f"chk.{name}") for name in CHECK_NAMES),
        ("check_flags", _text("chk.flags")),
        ("item_count", "coalesce(it.n, 0)::text"),
        ("content_ids", _guarded("it.content_ids")),
        ("snapshot_sha256s", _text("it.sha256s")),
        ("author_pseudonyms", _text("it.pseudonyms")),
        ("author_handles", _guarded("it.handles")),
        ("item_decisions", _text("it.decisions")),
        ("items_removed", "coalesce(it.removed, 0)::text"),
        ("items_restricted", "coalesce(it.restricted, 0)::text"),
        ("items_no_action", "coalesce(it.no_action, 0)::text"),
        *((name, utc_text_sql(f"r.{name}")) for name in ("created_at", "submitted_at", "routed_at", "decided_at",
                                                          "closed_at")),
    ]
    select = ",\n       ".join(f'{sql} AS "{name}"' for name, sql in columns)
    verdicts = ",\n           ".join(f"NULLIF(max(cr.verdict) FILTER (WHERE cr.name = '{name}'), '') AS {name}"
                                    for name in CHECK_NAMES)
    return f"""
WITH chosen AS ({ids_sql})
SELECT {select}
FROM chosen
JOIN {tables['TakedownRequest']} r ON r.id = chosen.id
JOIN {tables['Agency']} a ON a.id = r.agency_id
{f"LEFT JOIN {tables['User']} u ON u.id = r.submitted_by_id" if personal else ""}
LEFT JOIN LATERAL (
    SELECT string_agg(coalesce(p.code, ''), ';' ORDER BY c.position) AS codes
    FROM {tables['CitedProvision']} c JOIN {tables['LegalProvision']} p ON p.id = c.provision_id
    WHERE c.request_id = r.id
) prov ON true
LEFT JOIN LATERAL (
    SELECT {verdicts},
           string_agg((SELECT string_agg(cr.name || ':' || f, ';' ORDER BY n)
                       FROM jsonb_array_elements_text(cr.flags) WITH ORDINALITY AS flag(f, n)),
                      ';' ORDER BY cr.position) AS flags
    FROM {tables['CheckResult']} cr WHERE cr.request_id = r.id AND cr.round = r.screening_round
) chk ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n,
           string_agg(coalesce(ci.code, ''), ';' ORDER BY i.position) AS content_ids,
           string_agg(i.snapshot_sha256, ';' ORDER BY i.position) AS sha256s,
           string_agg(coalesce({pseudonym}, ''), ';' ORDER BY i.position) AS pseudonyms,
           {handles} AS handles,
           string_agg(coalesce(d.action, ''), ';' ORDER BY i.position) AS decisions,
           count(*) FILTER (WHERE d.action = 'remove_globally') AS removed,
           count(*) FILTER (WHERE d.action = 'restrict_in_jurisdiction') AS restricted,
           count(*) FILTER (WHERE d.action = 'no_action') AS no_action
    FROM {tables['RequestItem']} i
    LEFT JOIN {tables['ContentItem']} ci ON ci.id = i.content_id
    LEFT JOIN {tables['PlatformAccount']} pa ON pa.id = ci.author_id
    LEFT JOIN LATERAL (
        SELECT d.action FROM {tables['Decision']} d WHERE d.item_id = i.id ORDER BY d.round DESC LIMIT 1
    ) d ON true
    WHERE i.request_id = r.id
) it ON true
ORDER BY r.id"""  # noqa: S608 (constants and table names; every value is a parameter)


def csv_copy_chunks(queryset: QuerySet[TakedownRequest], *, personal: bool,
                    chunk_size: int = COPY_CHUNK_SIZE) -> Iterator[tuple[bytes, int]]:
    """The CSV rows (no header) of ``queryset``'s requests by ascending id: yields (bytes, rows) per chunk.

    As ``selectors.iter_request_records``: requests filed after the export began are left out,
    and each chunk is the queryset's rows between two ids (keyset pagination).
    """
    upper = TakedownRequest.objects.order_by("-id").values_list("id", flat=True).first()
    if upper is None:
        return
    queryset = queryset.filter(id__lte=upper).order_by()
    key = pseudonym_key()
    last = 0
    while True:
        after = queryset.filter(id__gt=last)
        bound = next(iter(after.order_by("id").values_list("id", flat=True)[chunk_size - 1:chunk_size]), None)
        chunk = after if bound is None else after.filter(id__lte=bound)
        ids_sql, ids_params = chunk.values("id").query.sql_with_params()
        statement = f"COPY ({_csv_select(ids_sql, personal=personal)}) TO STDOUT WITH (FORMAT csv)"
        lines = []
        with connection.cursor() as cursor, cursor.cursor.copy(statement, [*ids_params, key]) as copy:
            # PostgreSQL sends one row per message, ending in its only unquoted line feed.
            lines.extend(bytes(row[:-1]) + b"\r\n" for row in copy)
        if lines:
            yield b"".join(lines), len(lines)
        if bound is None:
            return
        last = bound
