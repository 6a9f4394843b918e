"""The request log's CSV and NDJSON written by PostgreSQL: ``COPY (SELECT ...) TO STDOUT``, the Python path's bytes.

On PostgreSQL both exports are produced by the database, a chunk of requests per ``COPY``
statement, each chunk's items, decisions, checks and citations read by one range scan per
table rather than one lookup per request. Every value is formatted in SQL as the Python path
formats it; the queryset's own SQL is the statement's source of ids, so the API's filters
apply exactly as on the Python path, which SQLite keeps.

Shared by both:

- times as ``api_time`` writes them: one ``to_char`` with microseconds, whose ``.000000`` is
  then dropped (``datetime.isoformat`` writes microseconds only when there are any);
- author pseudonyms as ``selectors.author_pseudonym`` computes them: HMAC-SHA256 under the key
  of ``selectors.pseudonym_key``, written out as RFC 2104 defines it with PostgreSQL's built-in
  ``sha256`` and the key's inner and outer pads computed here once (pgcrypto's ``hmac`` sets
  its key up again for every call, which cost a fifth of the export).

CSV: cells as ``exports.csv_row`` writes them (booleans ``true``/``false``, per-item lists
``;``-separated, cells a spreadsheet would run as a formula prefixed with ``'``). PostgreSQL
ends rows with ``\\n`` (Python's ``csv`` with ``\\r\\n``: each row's end is replaced as it
arrives) and quotes an empty string to tell it from NULL (every empty cell is therefore NULL).
A cell holding exactly ``\\.`` would still come out quoted; no column the export writes can.

NDJSON: each line is built by SQL as ``json.dumps(record, ensure_ascii=False,
separators=(",", ":"))`` writes it: the keys in the record's order, strings escaped by
``to_json`` (the same escapes as Python's encoder: ``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``,
``\\b``, ``\\f``, other control characters as ``\\u00XX``, everything else as UTF-8). The stored
JSON (snapshots and check flags) is re-written without the spaces of ``jsonb``'s text form; its
keys keep ``jsonb``'s order, which is the order in which the Python path reads them. A number
in stored JSON keeps ``jsonb``'s digits, which are Python's for integers and the decimals
Python writes, but not for floats Python writes with an exponent (``1e-07``); the product
stores none (snapshots and flags hold strings). The lines go out through ``COPY``'s CSV format
with a delimiter and a quote character that JSON text never holds unescaped (``\\x01``,
``\\x02``), so PostgreSQL sends each line as it is, ending in ``\\n``.

A page of the auditors' list (``page_record_texts``): its requests' NDJSON lines, read by one
plain statement in which each table is looked up by the page's ids rather than a range.

Memory: a chunk of ``COPY_CHUNK_SIZE`` requests per statement, passed on in blocks of about
``BLOCK_BYTES`` as they arrive (the server sorts a chunk in up to 64 MB of ``work_mem``). The
number of requests read is reported only with a chunk's last block, once its statement and
its transaction have finished, so that an export job may record its progress on the same
connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
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
from transparency.selectors import PSEUDONYM_HEX_CHARS, REDACTED, pseudonym_key

# Requests per COPY statement: each costs a boundary query and a plan (a few ms); memory does not
# depend on it (see BLOCK_BYTES).
COPY_CHUNK_SIZE = 10_000
BLOCK_BYTES = 256 * 1024  # bytes gathered before they are passed on
CHECK_NAMES = ("completeness", "platform_policy", "local_law", "human_rights")
# exports.FORMULA_STARTS ("=", "+", "-", "@", tab, carriage return), as the code points ascii() returns.
_FORMULA_START_CODES = "61, 43, 45, 64, 9, 13"
SHA256_BLOCK_BYTES = 64
NDJSON_COPY_OPTIONS = "FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02'"
# For the chunk's transaction only. JIT would compile each statement anew (about 0.3 s a chunk, more
# than it saves), and a chunk's sorts (its NDJSON lines are sorted by id) fit in memory rather
# than spilling to disk under the default 4 MB. No nested loops: a chunk's rows are joined by hash
# or merge whatever the statistics say; with rows not yet analysed (a bulk import) the planner
# believed each table held one row and ran a chunk's aggregates once per request (an export of
# 20,000 requests took minutes instead of seconds).
STATEMENT_SETTINGS = ("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), "
                      "set_config('enable_nestloop', 'off', true)")


def database_exports_available() -> bool:
    return connection.vendor == "postgresql"


def _tables() -> dict[str, str]:
    return {model.__name__: model._meta.db_table for model in (
        TakedownRequest, Agency, CitedProvision, LegalProvision, RequestItem, ContentItem, PlatformAccount,
        CheckResult, Decision, get_user_model())}


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer pads of HMAC-SHA256 for ``key`` (RFC 2104): HMAC(m) = H(opad || H(ipad || m))."""
    if len(key) > SHA256_BLOCK_BYTES:
        raise ValueError("HMAC keys longer than a block are hashed first; pseudonym keys are 32 bytes")
    block = key.ljust(SHA256_BLOCK_BYTES, b"\0")
    return bytes(byte ^ 0x36 for byte in block), bytes(byte ^ 0x5C for byte in block)


def _pseudonym(handle: str) -> str:
    """SQL of ``author_pseudonym(handle)``, NULL for an empty handle. Parameters: the outer pad, then the inner."""
    digest = f"sha256(%s::bytea || sha256(%s::bytea || convert_to({handle}, 'UTF8')))"
    return f"CASE WHEN {handle} <> '' THEN 'acct-' || left(encode({digest}, 'hex'), {PSEUDONYM_HEX_CHARS}) END"


def _pseudonym_params() -> list[bytes]:
    inner, outer = hmac_pads(pseudonym_key())
    return [outer, inner]


def _time(sql: str) -> str:
    """The timestamp ``sql`` as ``api_time`` writes it (NULL stays NULL): one to_char per value."""
    return (f"replace(to_char(({sql}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
            "'.000000Z', 'Z')")


@dataclass(frozen=True)
class _Chunk:
    """The SQL naming a chunk: the queryset's ids and screening rounds (and parameters) within ``(low, high]``."""

    ids_sql: str
    ids_params: tuple
    low: int
    high: int
    checks_as = "AS"

    def in_range(self, column: str) -> str:
        """Rows of a table whose ``column`` is within the chunk's range of ids.

        Every table a chunk joins is bounded so: a merge join of the request table with the chunk's
        ids otherwise read that table's index from its first row, for every chunk.
        """
        return f"{column} > {self.low} AND {column} <= {self.high}"

    def rows_of(self, column: str) -> str:
        """Rows of a table whose ``column`` names one of the chunk's requests: a range, then the filter."""
        return f"{self.in_range(column)} AND {column} IN (SELECT id FROM chosen)"  # noqa: S608


@dataclass(frozen=True)
class _Page:
    """The requests of one page of the auditors' list: few, and anywhere in the table.

    Its ids are written into the statement as an array, so that each table is read by index,
    request by request, with the planner knowing how many: a chunk's range of ids would span the
    whole table for a page of a narrow filter, and its hash joins would read every row in it.
    """

    ids: tuple[int, ...]
    rounds: tuple[int, ...]

    ids_sql = "SELECT * FROM unnest(%s::bigint[], %s::int[]) AS page(id, screening_round)"
    # Computed once: the planner takes the page's checks for one row and would compute them again for each
    # request (28 ms a page of 50 rather than 7).
    checks_as = "AS MATERIALIZED"

    @property
    def ids_params(self) -> tuple:
        return list(self.ids), list(self.rounds)

    def in_range(self, column: str) -> str:
        return self.rows_of(column)

    def rows_of(self, column: str) -> str:
        return f"{column} = ANY('{{{','.join(str(int(id_)) for id_ in self.ids)}}}'::bigint[])"


# --- CSV -----------------------------------------------------------------------------------

def _text(sql: str) -> str:
    """A text cell: empty is NULL (written empty and unquoted, as Python's csv writes '')."""
    return f"NULLIF({sql}, '')"


def _guarded(sql: str) -> str:
    """A cell of free text: prefixed with ' when a spreadsheet would run it as a formula."""
    return f"CASE WHEN ascii({sql}) IN ({_FORMULA_START_CODES}) THEN '''' || {sql} ELSE NULLIF({sql}, '') END"


def _flag(sql: str) -> str:
    return f"CASE WHEN {sql} THEN 'true' WHEN NOT {sql} THEN 'false' END"


def _csv_select(chunk: _Chunk, *, personal: bool) -> str:
    """The SELECT of the CSV's columns (``exports.CSV_COLUMNS``, in order) for the chunk's requests.

    Its parameters: the chunk's, then ``_pseudonym_params()``. Each per-request list is
    aggregated from rows sorted by (request, position), so no aggregate sorts its own input.
    """
    t = _tables()
    court = "(r.court_name <> '' AND r.court_case_number <> '')"
    handles = ("CASE WHEN bool_or(handle <> '') THEN string_agg(coalesce(handle, ''), ';') END"
               if personal else "NULL")
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
        ("sla_due_at", _time("r.sla_due_at")),
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
        *((name, _time(f"r.{name}")) for name in ("created_at", "submitted_at", "routed_at", "decided_at",
                                                   "closed_at")),
    ]
    select = ",\n       ".join(f'{sql} AS "{name}"' for name, sql in columns)
    verdicts = ",\n           ".join(f"NULLIF(max(verdict) FILTER (WHERE name = '{name}'), '') AS {name}"
                                    for name in CHECK_NAMES)
    return f"""
WITH chosen AS ({chunk.ids_sql}),
prov AS (
    SELECT request_id, string_agg(code, ';') AS codes
    FROM (SELECT c.request_id, coalesce(p.code, '') AS code
          FROM {t['CitedProvision']} c JOIN {t['LegalProvision']} p ON p.id = c.provision_id
          WHERE {chunk.rows_of('c.request_id')}
          ORDER BY c.request_id, c.position) cited
    GROUP BY request_id
),
chk AS (
    SELECT request_id, {verdicts}, string_agg(flags, ';') AS flags
    FROM (SELECT cr.request_id, cr.name, cr.verdict,
                 CASE WHEN cr.flags <> '[]' THEN (SELECT string_agg(cr.name || ':' || flag, ';')
                                                  FROM jsonb_array_elements_text(cr.flags) flag) END AS flags
          FROM chosen q JOIN {t['CheckResult']} cr ON cr.request_id = q.id AND cr.round = q.screening_round
          WHERE {chunk.in_range('cr.request_id')}
          ORDER BY cr.request_id, cr.position) checks
    GROUP BY request_id
),
latest AS (
    SELECT DISTINCT ON (d.item_id) d.item_id, d.action
    FROM {t['Decision']} d WHERE {chunk.rows_of('d.request_id')}
    ORDER BY d.item_id, d.round DESC
),
it AS (
    SELECT request_id, count(*) AS n,
           string_agg(content_id, ';') AS content_ids,
           string_agg(sha256, ';') AS sha256s,
           string_agg(pseudonym, ';') AS pseudonyms,
           {handles} AS handles,
           string_agg(action, ';') AS decisions,
           count(*) FILTER (WHERE action = 'remove_globally') AS removed,
           count(*) FILTER (WHERE action = 'restrict_in_jurisdiction') AS restricted,
           count(*) FILTER (WHERE action = 'no_action') AS no_action
    FROM (SELECT i.request_id, coalesce(ci.code, '') AS content_id, coalesce(i.snapshot_sha256, '') AS sha256,
                 coalesce({_pseudonym('pa.handle')}, '') AS pseudonym, pa.handle, coalesce(d.action, '') AS action
          FROM {t['RequestItem']} i
          LEFT JOIN {t['ContentItem']} ci ON ci.id = i.content_id
          LEFT JOIN {t['PlatformAccount']} pa ON pa.id = ci.author_id
          LEFT JOIN latest d ON d.item_id = i.id
          WHERE {chunk.rows_of('i.request_id')}
          ORDER BY i.request_id, i.position) items
    GROUP BY request_id
)
SELECT {select}
FROM chosen
JOIN {t['TakedownRequest']} r ON r.id = chosen.id AND {chunk.in_range('r.id')}
JOIN {t['Agency']} a ON a.id = r.agency_id
{f"LEFT JOIN {t['User']} u ON u.id = r.submitted_by_id" if personal else ""}
LEFT JOIN prov ON prov.request_id = r.id
LEFT JOIN chk ON chk.request_id = r.id
LEFT JOIN it ON it.request_id = r.id
ORDER BY r.id"""  # noqa: S608 (constants, table names and ids read from the database; every value is a parameter)


# --- NDJSON --------------------------------------------------------------------------------

def _string(sql: str) -> str:
    """A JSON string (or null) of the text ``sql``."""
    return f"coalesce(to_json(({sql})::text)::text, 'null')"


def _number(sql: str) -> str:
    return f"coalesce(({sql})::text, 'null')"


def _boolean(sql: str) -> str:
    return f"CASE WHEN {sql} THEN 'true' WHEN NOT {sql} THEN 'false' ELSE 'null' END"


def _object(members: list[tuple[str, str]]) -> str:
    """SQL concatenating a JSON object: ``members`` are (key, SQL of the value's JSON text), in order."""
    parts = []
    for position, (key, value) in enumerate(members):
        # Keys are identifiers of the record, never quotes or backslashes.
        parts.append(f"'{'{' if position == 0 else ','}\"{key}\":'")
        parts.append(value)
    return f"concat({', '.join(parts)}, '}}')"


def _array(sql: str) -> str:
    """Aggregate: the JSON array of the JSON texts ``sql`` in input order (``[]`` for none)."""
    return f"'[' || coalesce(string_agg({sql}, ','), '') || ']'"


# jsonb's text of any value without the spaces after its separators: strings are matched whole,
# so the ", " and ": " inside them stay. Exact, and slow; _compact_json's replacements cover
# what the product stores.
_ANY_JSON = "regexp_replace({}, '(\"(?:[^\"\\\\]|\\\\.)*\"|[,:]) ?', '\\1', 'g')"


def _compact_json(sql: str) -> str:
    """SQL of the text of a jsonb object ``sql`` as Python writes it compactly.

    With the escaped backslashes and quotes set aside (control characters, which jsonb's text
    never holds unescaped), every remaining quote opens or closes a string, so ``": `` and
    ``, "`` occur only between members; they are every separator of an object without nested
    objects or arrays, which the first test ensures (it may refuse a flat object whose strings
    hold ``": {``; the general expression then writes it).
    """
    flat = (f"replace(replace(replace(replace(replace(replace({sql}, '\\\\', E'\\x01'), '\\\"', E'\\x02'), "
            f"'\": ', '\":'), ', \"', ',\"'), E'\\x02', '\\\"'), E'\\x01', '\\\\')")
    # Without a backslash there is nothing to set aside: the same two replacements alone.
    plain = f"replace(replace({sql}, '\": ', '\":'), ', \"', ',\"')"
    return (f"CASE WHEN strpos({sql}, '\": {{') = 0 AND strpos({sql}, '\": [') = 0 THEN "
            f"CASE WHEN strpos({sql}, '\\') = 0 THEN {plain} ELSE {flat} END "
            f"ELSE {_ANY_JSON.format(sql)} END")


def _flags_json(sql: str) -> str:
    """A check's flags (a jsonb array, of strings in practice) as Python writes the list."""
    element = (f"CASE WHEN jsonb_typeof(flag) IN ('object', 'array') THEN {_ANY_JSON.format('flag::text')} "
               "ELSE flag::text END")
    return (f"CASE WHEN {sql} = '[]' THEN '[]' ELSE (SELECT '[' || string_agg({element}, ',') || ']' "  # noqa: S608
            f"FROM jsonb_array_elements({sql}) flag) END")


def _ndjson_select(chunk: _Chunk | _Page, *, personal: bool, with_id: bool = False) -> str:
    """The SELECT of the chunk's NDJSON lines (``selectors.request_records``' records) without their line feeds.

    Its parameters: the chunk's, then ``_pseudonym_params()``. ``with_id`` puts each request's id before its line.
    """
    t = _tables()
    court = "coalesce(r.court_name <> '' AND r.court_case_number <> '', false)"
    decision = _object([
        ("round", _number("d.round")), ("action", _string("d.action")), ("reason_code", _string("d.reason_code")),
        ("rationale", _string("d.rationale")), ("reviewer_tier", _string("d.reviewer_tier")),
        ("contradicts_checks", _boolean("d.contradicts_checks")), ("decided_at", _string(_time("d.decided_at"))),
    ])
    snapshot = ("CASE WHEN i.snapshot IS NULL OR i.snapshot = 'null' THEN '{}'::jsonb "
                + ("ELSE i.snapshot END" if personal else
                   f"WHEN i.snapshot ? 'author' THEN jsonb_set(i.snapshot, '{{author}}', to_jsonb('{REDACTED}'::text)) "
                   "ELSE i.snapshot END"))
    item = _object([
        ("position", _number("position")), ("content_id", _string("content_id")), ("url", _string("url")),
        ("author_pseudonym", _string("pseudonym")), ("author_handle", _string("handle") if personal else "'null'"),
        ("author_persona", _string("persona")), ("snapshot", _compact_json("snapshot")),
        ("snapshot_sha256", _string("snapshot_sha256")),
        ("decision", "coalesce(decisions[cardinality(decisions)], 'null')"),
        ("decisions", "'[' || coalesce(array_to_string(decisions, ','), '') || ']'"),
    ])
    check = _object([
        ("round", _number("cr.round")), ("name", _string("cr.name")), ("version", _string("cr.version")),
        ("verdict", _string("cr.verdict")), ("explanation", _string("cr.explanation")),
        ("flags", _flags_json("cr.flags")),
    ])
    record = _object([
        ("reference", _string("r.reference")), ("jurisdiction", _string("a.jurisdiction_id")),
        ("agency", _string("a.code")), ("agency_name", _string("a.name")),
        ("authority_type", _string("r.authority_type")),
        ("submitted_by", _string("u.username") if personal else "'null'"),
        ("submission_method", _string("r.submission_method")), ("external_id", _string("r.external_id")),
        ("category", _string("r.category")), ("provisions", "coalesce(prov.codes, '[]')"),
        ("requested_action", _string("r.requested_action")), ("justification", _string("r.justification")),
        ("urgency", _string("r.urgency")), ("has_court_order", _boolean(court)),
        ("court_order", f"CASE WHEN {court} THEN " + _object([
            ("court", _string("r.court_name")), ("case_number", _string("r.court_case_number")),
            ("date", _string("to_char(r.court_order_date, 'YYYY-MM-DD')"))]) + " ELSE 'null' END"),
        ("confidentiality_requested", _boolean("r.confidentiality_requested")),
        ("status", _string("r.status")), ("outcome", _string("NULLIF(r.outcome, '')")),
        ("routing", _object([
            ("queue", _string("NULLIF(r.queue, '')")), ("priority", _number("r.priority")),
            ("sla_due_at", _string(_time("r.sla_due_at"))), ("sla_breached", _boolean("r.sla_breached")),
            ("workflow_version", _string("r.workflow_version")), ("rules_version", _string("r.rules_version")),
            ("screening_round", _number("r.screening_round")), ("review_round", _number("r.review_round"))])),
        ("checks", "coalesce(chk.checks, '[]')"), ("items", "coalesce(it.items, '[]')"),
        *((name, _string(_time(f"r.{name}"))) for name in ("created_at", "submitted_at", "routed_at", "decided_at",
                                                            "closed_at")),
    ])
    return f"""
WITH chosen AS ({chunk.ids_sql}),
prov AS (
    SELECT request_id, {_array('code')} AS codes
    FROM (SELECT c.request_id, {_string('p.code')} AS code
          FROM {t['CitedProvision']} c JOIN {t['LegalProvision']} p ON p.id = c.provision_id
          WHERE {chunk.rows_of('c.request_id')}
          ORDER BY c.request_id, c.position) cited
    GROUP BY request_id
),
chk {chunk.checks_as} (
    SELECT request_id, {_array('line')} AS checks
    FROM (SELECT cr.request_id, {check} AS line
          FROM chosen q JOIN {t['CheckResult']} cr ON cr.request_id = q.id AND cr.round = q.screening_round
          WHERE {chunk.in_range('cr.request_id')}
          ORDER BY cr.request_id, cr.position) checks
    GROUP BY request_id
),
decided AS (
    SELECT item_id, array_agg(line) AS decisions
    FROM (SELECT d.item_id, {decision} AS line
          FROM {t['Decision']} d WHERE {chunk.rows_of('d.request_id')}
          ORDER BY d.item_id, d.round) history
    GROUP BY item_id
),
it AS (
    SELECT request_id, {_array('line')} AS items
    FROM (SELECT request_id, {item} AS line
          FROM (SELECT i.request_id, i.position, ci.code AS content_id, i.url, {_pseudonym('pa.handle')} AS pseudonym,
                       pa.handle, pa.persona, ({snapshot})::text AS snapshot, i.snapshot_sha256, d.decisions
                FROM {t['RequestItem']} i
                LEFT JOIN {t['ContentItem']} ci ON ci.id = i.content_id
                LEFT JOIN {t['PlatformAccount']} pa ON pa.id = ci.author_id
                LEFT JOIN decided d ON d.item_id = i.id
                WHERE {chunk.rows_of('i.request_id')}
                OFFSET 0) i
          ORDER BY request_id, position) items
    GROUP BY request_id
)
SELECT {"r.id, " if with_id else ""}{record}
FROM chosen
JOIN {t['TakedownRequest']} r ON r.id = chosen.id AND {chunk.in_range('r.id')}
JOIN {t['Agency']} a ON a.id = r.agency_id
{f"LEFT JOIN {t['User']} u ON u.id = r.submitted_by_id" if personal else ""}
LEFT JOIN prov ON prov.request_id = r.id
LEFT JOIN chk ON chk.request_id = r.id
LEFT JOIN it ON it.request_id = r.id
ORDER BY r.id"""  # noqa: S608 (constants, table names and ids read from the database; every value is a parameter)


# --- Chunks --------------------------------------------------------------------------------

def _chunks(queryset: QuerySet[TakedownRequest], chunk_size: int) -> Iterator[_Chunk]:
    """The queryset's requests by ascending id, ``chunk_size`` at a time (keyset pagination).

    As ``selectors.iter_request_records``: requests filed after the export began are left out.
    """
    upper = TakedownRequest.objects.order_by("-id").values_list("id", flat=True).first()
    if upper is None:
        return
    queryset = queryset.filter(id__lte=upper).order_by()
    last = 0
    while True:
        after = queryset.filter(id__gt=last)
        bound = next(iter(after.order_by("id").values_list("id", flat=True)[chunk_size - 1:chunk_size]), None)
        chunk = after if bound is None else after.filter(id__lte=bound)
        # With each request's screening round: the checks shown are that round's, joined without reading the
        # request table again.
        ids_sql, ids_params = chunk.values("id", "screening_round").query.sql_with_params()
        yield _Chunk(ids_sql=ids_sql, ids_params=tuple(ids_params), low=int(last),
                     high=int(upper if bound is None else bound))
        if bound is None:
            return
        last = bound


def _copied(statement: str, params: list, *, line_end: bytes | None) -> Iterator[tuple[bytes, int]]:
    """Run one COPY: its rows in blocks of about BLOCK_BYTES, the number of rows with the last block.

    ``line_end`` replaces the line feed that ends each row, if given.
    """
    block: list = []
    size = rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(STATEMENT_SETTINGS)
        with cursor.cursor.copy(statement, params) as copy:
            # PostgreSQL sends one row per message, ending in its only unquoted line feed.
            for row in copy:
                if line_end is not None:
                    block.append(row[:-1])
                    block.append(line_end)
                else:
                    block.append(row)
                size += len(row)
                rows += 1
                if size >= BLOCK_BYTES:
                    yield b"".join(block), 0
                    block, size = [], 0
    if block or rows:
        yield b"".join(block), rows


def csv_copy_chunks(queryset: QuerySet[TakedownRequest], *, personal: bool,
                    chunk_size: int = COPY_CHUNK_SIZE) -> Iterator[tuple[bytes, int]]:
    """The CSV rows (no header) of ``queryset``'s requests by ascending id: yields (bytes, rows read) per block."""
    pads = _pseudonym_params()
    for chunk in _chunks(queryset, chunk_size):
        statement = f"COPY ({_csv_select(chunk, personal=personal)}) TO STDOUT WITH (FORMAT csv)"
        yield from _copied(statement, [*chunk.ids_params, *pads], line_end=b"\r\n")


def page_record_texts(rows: list[tuple[int, int]], *, personal: bool) -> list[str]:
    """The JSON text of each request of a page, as its NDJSON line (``request_records``' record, written compactly).

    ``rows`` are the page's (id, screening round) pairs; the texts come in their order. One statement.
    """
    if not rows:
        return []
    ids, rounds = zip(*rows, strict=True)
    page = _Page(ids=tuple(ids), rounds=tuple(rounds))
    with connection.cursor() as cursor:
        cursor.execute(_ndjson_select(page, personal=personal, with_id=True), [*page.ids_params, *_pseudonym_params()])
        texts = dict(cursor.fetchall())
    return [texts[id_] for id_ in ids]


def ndjson_copy_chunks(queryset: QuerySet[TakedownRequest], *, personal: bool,
                       chunk_size: int = COPY_CHUNK_SIZE) -> Iterator[tuple[bytes, int]]:
    """The NDJSON lines of ``queryset``'s requests by ascending id: yields (bytes, rows read) per block."""
    pads = _pseudonym_params()
    for chunk in _chunks(queryset, chunk_size):
        statement = f"COPY ({_ndjson_select(chunk, personal=personal)}) TO STDOUT WITH ({NDJSON_COPY_OPTIONS})"
        yield from _copied(statement, [*chunk.ids_params, *pads], line_end=None)
