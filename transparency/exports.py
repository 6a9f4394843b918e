"""Exports of the request log: CSV and NDJSON, streamed or written by a background job.

One code path for every way out: the streamed API response, the background job's file and
``manage.py export_requests`` all read records with ``audit.selectors.iter_request_records``
(keyset pagination, a fixed number of queries per chunk) and encode them here, one chunk at
a time; on PostgreSQL the request log's CSV and NDJSON are written by the database instead
(transparency/database_exports.py), the same bytes. Memory use therefore depends on the
chunk size, not on the number of rows.
The columns are documented in docs/exports.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from audit import events
from audit.models import ExportFormat, ExportJob, ExportStatus
from reports.errors import InvalidInput
from reports.models import Exercise, TakedownRequest
from reports.roles import may_see_personal_data
from transparency import dsa, dsa_rules, lumen
from transparency.database_exports import csv_copy_chunks, database_exports_available, ndjson_copy_chunks
from transparency.filters import AuditRequestFilter, active_filters
from transparency.selectors import (
    audit_requests,
    iter_request_records,
    jurisdiction_names,
    policy_rules_by_item,
    provision_citations,
)

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.NDJSON: "application/x-ndjson; charset=utf-8",
    ExportFormat.DSA_SOR_CSV: "text/csv; charset=utf-8",
    ExportFormat.DSA_SOR_JSON: "application/x-ndjson; charset=utf-8",
    ExportFormat.LUMEN_JSON: "application/x-ndjson; charset=utf-8",
}
FILE_EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.NDJSON: "ndjson", ExportFormat.DSA_SOR_CSV: "dsa-sor.csv",
                   ExportFormat.DSA_SOR_JSON: "dsa-sor.ndjson", ExportFormat.LUMEN_JSON: "lumen.ndjson"}
# Formats of other projects' records: they carry no personal data, whatever the auditor may see.
INTEROP_FORMATS = (ExportFormat.DSA_SOR_CSV, ExportFormat.DSA_SOR_JSON, ExportFormat.LUMEN_JSON)
DSA_FORMATS = (ExportFormat.DSA_SOR_CSV, ExportFormat.DSA_SOR_JSON)
FORMAT_CHOICES_TEXT = "Use " + ", ".join(ExportFormat.values[:-1]) + " or " + ExportFormat.values[-1]
# A job whose worker has not reported progress for this long is taken to be dead, and may be restarted.
HEARTBEAT_STALE_AFTER = timedelta(minutes=2)
LIST_SEPARATOR = ";"
CHECK_NAMES = ("completeness", "platform_policy", "local_law", "human_rights")

CSV_COLUMNS = (
    "reference", "jurisdiction", "agency", "agency_name", "authority_type", "submitted_by", "submission_method",
    "external_id", "category", "provisions", "requested_action", "urgency", "has_court_order", "court_name",
    "court_case_number", "court_order_date", "confidentiality_requested", "status", "outcome", "queue", "priority",
    "sla_due_at", "sla_breached", "workflow_version", "rules_version", "screening_round", "review_round",
    *(f"check_{name}" for name in CHECK_NAMES), "check_flags", "item_count", "content_ids", "snapshot_sha256s",
    "author_pseudonyms", "author_handles", "item_decisions", "items_removed", "items_restricted",
    "items_no_action", "created_at", "submitted_at", "routed_at", "decided_at", "closed_at",
)
# A spreadsheet would run a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Which rows ----------------------------------------------------------------------------

def filtered_requests(*, exercise: Exercise, filters: dict) -> QuerySet[TakedownRequest]:
    """The exercise's requests matching ``filters`` (the API's filter names); bad values raise InvalidInput."""
    filterset = AuditRequestFilter(data=filters, queryset=audit_requests(exercise=exercise))
    if not filterset.is_valid():
        raise InvalidInput({name: [str(message) for message in messages]
                            for name, messages in filterset.errors.items()})
    return filterset.qs


def format_check(fmt: str) -> None:
    if fmt not in ExportFormat.values:
        raise InvalidInput({"format": [f"{FORMAT_CHOICES_TEXT}, not {fmt!r}."]})


def export_kind(fmt: str, *, personal: bool, background: bool = False) -> str:
    """The ``kind`` an export's audit event records, e.g. ``requests.csv`` or ``requests.ndjson.personal``."""
    return f"requests.{fmt}" + (".personal" if personal else "") + (".job" if background else "")


# --- Encoding ------------------------------------------------------------------------------

def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _joined(values: Iterable) -> str:
    return LIST_SEPARATOR.join("" if value is None else str(value) for value in values)


def csv_row(record: dict) -> list[str]:
    """One request as a CSV row of ``CSV_COLUMNS``; per-item lists are in item order, ';'-separated."""
    routing, items = record["routing"], record["items"]
    verdicts = {check["name"]: check["verdict"] for check in record["checks"]}
    latest = [item["decision"]["action"] if item["decision"] else None for item in items]
    order = record["court_order"] or {}
    values = {
        **{key: record[key] for key in ("reference", "jurisdiction", "agency", "agency_name", "authority_type",
                                        "submitted_by", "submission_method", "external_id", "category",
                                        "requested_action", "urgency", "has_court_order",
                                        "confidentiality_requested", "status", "outcome", "created_at",
                                        "submitted_at", "routed_at", "decided_at", "closed_at")},
        **{key: routing[key] for key in ("queue", "priority", "sla_due_at", "sla_breached", "workflow_version",
                                         "rules_version", "screening_round", "review_round")},
        "provisions": _joined(record["provisions"]),
        "court_name": order.get("court"),
        "court_case_number": order.get("case_number"),
        "court_order_date": order.get("date"),
        **{f"check_{name}": verdicts.get(name) for name in CHECK_NAMES},
        "check_flags": _joined(f"{check['name']}:{flag}" for check in record["checks"] for flag in check["flags"]),
        "item_count": len(items),
        "content_ids": _joined(item["content_id"] for item in items),
        "snapshot_sha256s": _joined(item["snapshot_sha256"] for item in items),
        "author_pseudonyms": _joined(item["author_pseudonym"] for item in items),
        # Empty unless the export includes personal data (author_handle is None otherwise).
        "author_handles": _joined(item["author_handle"] for item in items)
        if any(item["author_handle"] for item in items) else None,
        "item_decisions": _joined(latest),
        "items_removed": latest.count("remove_globally"),
        "items_restricted": latest.count("restrict_in_jurisdiction"),
        "items_no_action": latest.count("no_action"),
    }
    return [_cell(values[column]) for column in CSV_COLUMNS]


def ndjson_line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _csv_lines(header, rows_of_chunks: Iterable[tuple[list[list[str]], int]]) -> Iterator[tuple[bytes, int]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield buffer.getvalue().encode("utf-8"), 0
    for rows, count in rows_of_chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        yield buffer.getvalue().encode("utf-8"), count


def _statements(chunks: Iterable[list[dict]], report: dsa.StatementReport) -> Iterator[tuple[list, int]]:
    """Per chunk of records: its (statement, decision time) pairs, checked against the database's rules."""
    citations = provision_citations()
    for chunk in chunks:
        facts = dsa.StatementFacts(citations=citations,
                                   policy_rules=policy_rules_by_item([record["reference"] for record in chunk]))
        yield [pair for record in chunk for pair in dsa.record_statements(record, facts, report)], len(chunk)


def _statement_batches(chunks: Iterable[list[dict]], report: dsa.StatementReport) -> Iterator[tuple[bytes, int]]:
    """One body of the bulk endpoint per line: ``{"statements": [...]}`` with 100 statements (the last fewer)."""
    pending: list[dict] = []
    for pairs, count in _statements(chunks, report):
        pending.extend(statement for statement, _ in pairs)
        lines = []
        while len(pending) >= dsa_rules.BATCH_SIZE:
            batch, pending = pending[:dsa_rules.BATCH_SIZE], pending[dsa_rules.BATCH_SIZE:]
            lines.append(ndjson_line({"statements": batch}))
        yield "".join(lines).encode("utf-8"), count
    if pending:
        yield ndjson_line({"statements": pending}).encode("utf-8"), 0


def _notices(chunks: Iterable[list[dict]]) -> Iterator[tuple[bytes, int]]:
    citations, names = provision_citations(), jurisdiction_names()
    for chunk in chunks:
        yield "".join(ndjson_line(lumen.request_notice(record=record, citations=citations, jurisdiction_names=names))
                      for record in chunk).encode("utf-8"), len(chunk)


def encode(chunks: Iterable[list[dict]], fmt: str,
           report: dsa.StatementReport | None = None) -> Iterator[tuple[bytes, int]]:
    """Encode chunks of records: yields (bytes, number of records in them), a CSV's header first.

    The DSA formats count what they wrote and what they could not express in ``report``.
    """
    if fmt == ExportFormat.CSV:
        yield from _csv_lines(CSV_COLUMNS, (([csv_row(record) for record in chunk], len(chunk)) for chunk in chunks))
    elif fmt == ExportFormat.NDJSON:
        for chunk in chunks:
            yield "".join(ndjson_line(record) for record in chunk).encode("utf-8"), len(chunk)
    elif fmt == ExportFormat.DSA_SOR_CSV:
        report = report if report is not None else dsa.StatementReport()
        yield from _csv_lines(dsa.CSV_COLUMNS, (
            ([dsa.csv_row(statement, created_at=dsa.dump_time(decided_at)) for statement, decided_at in pairs], count)
            for pairs, count in _statements(chunks, report)))
    elif fmt == ExportFormat.DSA_SOR_JSON:
        yield from _statement_batches(chunks, report if report is not None else dsa.StatementReport())
    elif fmt == ExportFormat.LUMEN_JSON:
        yield from _notices(chunks)
    else:
        format_check(fmt)


def _records(queryset: QuerySet[TakedownRequest], fmt: str, *, personal: bool) -> Iterator[list[dict]]:
    # CSV and Lumen have no column for snapshots: not reading them saves decoding a JSON document per item.
    # The other projects' formats carry no personal data: their records are read without it.
    return iter_request_records(queryset, personal=personal and fmt not in INTEROP_FORMATS,
                                snapshots=fmt not in (ExportFormat.CSV, ExportFormat.LUMEN_JSON))


def _encoded(queryset: QuerySet[TakedownRequest], fmt: str, *, personal: bool,
             report: dsa.StatementReport | None) -> Iterator[tuple[bytes, int]]:
    """(bytes, requests in them) of the export; on PostgreSQL the database writes the CSV and NDJSON itself."""
    if fmt == ExportFormat.CSV and database_exports_available():
        return _database_csv(queryset, personal=personal)
    if fmt == ExportFormat.NDJSON and database_exports_available():
        return ndjson_copy_chunks(queryset, personal=personal)
    return encode(_records(queryset, fmt, personal=personal), fmt, report)


def _database_csv(queryset: QuerySet[TakedownRequest], *, personal: bool) -> Iterator[tuple[bytes, int]]:
    yield next(_csv_lines(CSV_COLUMNS, ()))
    yield from csv_copy_chunks(queryset, personal=personal)


def export_bytes(queryset: QuerySet[TakedownRequest], fmt: str, *, personal: bool,
                 report: dsa.StatementReport | None = None) -> Iterator[bytes]:
    """The export as a stream of byte strings (for StreamingHttpResponse)."""
    for data, _rows in _encoded(queryset, fmt, personal=personal, report=report):
        yield data


def export_write(queryset: QuerySet[TakedownRequest], fmt: str, *, personal: bool, out,
                 progress: Callable[[int], None] | None = None,
                 report: dsa.StatementReport | None = None) -> tuple[int, int, str]:
    """Write the export to the binary file ``out``; returns (requests read, bytes, SHA-256 hex).

    ``progress`` is called with the number of requests read so far after each chunk; the DSA
    formats count their statements and the decisions they could not express in ``report``.
    """
    digest, rows, size = hashlib.sha256(), 0, 0
    for data, count in _encoded(queryset, fmt, personal=personal, report=report):
        out.write(data)
        digest.update(data)
        size += len(data)
        rows += count
        if count and progress is not None:
            progress(rows)
    return rows, size, digest.hexdigest()


# --- Streamed export -----------------------------------------------------------------------

def export_personal(actor, fmt: str) -> bool:
    """Whether the export holds personal data: with the permission, in this project's own formats only."""
    return fmt not in INTEROP_FORMATS and may_see_personal_data(actor)


def export_stream_start(*, actor, exercise: Exercise, fmt: str, filters: dict) -> tuple[Iterator[bytes], int]:
    """Record the export (who, which filters, how many rows) and return its byte stream and row count."""
    format_check(fmt)
    queryset = filtered_requests(exercise=exercise, filters=filters)
    personal = export_personal(actor, fmt)
    rows = queryset.count()
    events.export_created_event(actor=actor, kind=export_kind(fmt, personal=personal),
                                filters=active_filters(filters), rows=rows, exercise=exercise)
    return export_bytes(queryset, fmt, personal=personal), rows


def statement_report(*, exercise: Exercise, filters: dict) -> dict:
    """What a DSA export of the filtered requests would write, and which decisions it could not express.

    Reads the records as the export does (in chunks, constant memory) without encoding any file.
    """
    queryset = filtered_requests(exercise=exercise, filters=filters)
    report = dsa.StatementReport()
    for _pairs, _count in _statements(_records(queryset, ExportFormat.DSA_SOR_JSON, personal=False), report):
        pass
    return report.as_dict()


# --- Background export jobs ----------------------------------------------------------------

class ExportBusy(Exception):
    """Another worker is writing this export right now; try again later."""


class ExportSuperseded(Exception):
    """A newer attempt took this export over (this worker was presumed dead)."""


def export_dir() -> Path:
    """Where export files live: under the private data folder, never served by the web server."""
    folder = Path(settings.DATA_DIR) / "exports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def export_path(job: ExportJob) -> Path:
    return export_dir() / job.file_name


# Named, not imported: the task (transparency/tasks.py) calls this module.
EXPORT_JOB_TASK = "transparency.tasks.export_job_run"


def export_job_enqueue(job_id) -> None:
    try:
        current_app.send_task(EXPORT_JOB_TASK, args=[str(job_id)])
    except Exception:  # kombu raises several connection error types; the job stays pending and can be re-sent
        logger.warning("could not enqueue export %s", job_id, exc_info=True)


def export_job_create(*, actor, exercise: Exercise, fmt: str, filters: dict) -> ExportJob:
    """Create an export job and enqueue it after commit. Bad filters raise InvalidInput; nothing is stored.

    Whether the file may hold personal data is decided now, from the permission the auditor
    holds when asking; the download checks it again.
    """
    format_check(fmt)
    try:
        filtered_requests(exercise=exercise, filters=filters)
    except InvalidInput as exc:
        raise InvalidInput({f"filters.{name}": messages for name, messages in exc.fields.items()}) from None
    clean = active_filters(filters)
    personal = export_personal(actor, fmt)
    with transaction.atomic():
        job = ExportJob.objects.create(exercise=exercise, requested_by=actor, format=fmt, filters=clean,
                                       personal_data=personal)
        events.export_created_event(actor=actor, kind=export_kind(fmt, personal=personal, background=True),
                                    filters=clean, exercise=exercise)
        transaction.on_commit(lambda: export_job_enqueue(job.pk))
    return job


def _fenced(job: ExportJob, attempt: int) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(pk=job.pk, attempt=attempt, status=ExportStatus.RUNNING)


def export_job_run(*, job_id) -> ExportJob | None:
    """Write a job's file. Safe to run any number of times, and by two workers at once.

    A worker claims the job with a conditional UPDATE that raises ``attempt``; every later
    write of that worker is conditional on its attempt, so a worker presumed dead (no
    heartbeat for HEARTBEAT_STALE_AFTER) cannot overwrite the work of the one that replaced
    it. A job being written by a live worker raises ExportBusy (the task retries later);
    a finished or failed job is returned unchanged.
    """
    now = timezone.now()
    claimable = Q(status=ExportStatus.PENDING) | Q(status=ExportStatus.RUNNING,
                                                   heartbeat_at__lt=now - HEARTBEAT_STALE_AFTER)
    claimed = ExportJob.objects.filter(claimable, pk=job_id).update(
        status=ExportStatus.RUNNING, attempt=F("attempt") + 1, started_at=now, heartbeat_at=now, rows_done=0,
        rows_total=None, error="")
    job = ExportJob.objects.select_related("exercise").filter(pk=job_id).first()
    if job is None:
        return None
    if not claimed:
        if job.status == ExportStatus.RUNNING:
            raise ExportBusy(str(job_id))
        return job

    attempt = job.attempt
    queryset = filtered_requests(exercise=job.exercise, filters=job.filters)
    _fenced(job, attempt).update(rows_total=queryset.count())
    final = export_dir() / f"{job.pk}.{FILE_EXTENSIONS[job.format]}"
    part = final.with_name(f"{final.name}.{attempt}.part")

    def progress(rows: int) -> None:
        if not _fenced(job, attempt).update(rows_done=rows, heartbeat_at=timezone.now()):
            raise ExportSuperseded(str(job.pk))

    try:
        descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        report = dsa.StatementReport() if job.format in DSA_FORMATS else None
        with os.fdopen(descriptor, "wb") as out:
            rows, size, sha256 = export_write(queryset, job.format, personal=job.personal_data, out=out,
                                              progress=progress, report=report)
    except ExportSuperseded:
        part.unlink(missing_ok=True)
        return ExportJob.objects.get(pk=job.pk)
    except Exception:
        part.unlink(missing_ok=True)
        _fenced(job, attempt).update(status=ExportStatus.FAILED, finished_at=timezone.now(),
                                     error="The export could not be written; the worker's log has the details.")
        raise
    os.replace(part, final)
    _fenced(job, attempt).update(status=ExportStatus.DONE, file_name=final.name, size=size, sha256=sha256,
                                 rows_done=rows, finished_at=timezone.now(), heartbeat_at=timezone.now(),
                                 report=report.as_dict() if report is not None else None)
    return ExportJob.objects.get(pk=job.pk)
