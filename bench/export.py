#!/usr/bin/env python3
"""Export: CSV and NDJSON rows per second over a million requests, and the exporting process's peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_i18t_1m REDIS_URL=redis://127.0.0.1:6379/12 \\
        CRS_TASK_QUEUE=q18t python3 bench/export.py

Baseline in the same run: PostgreSQL's ``COPY (SELECT ...) TO STDOUT`` (CSV) of the same columns,
read by this process: the CSV's columns for the CSV, the NDJSON's (its nested checks, items and
decisions as PostgreSQL writes rows and arrays) for the NDJSON, which is also given against the
CSV's COPY. Each export runs in a fresh process (so its peak RSS is its own) and writes
to a sink that counts bytes, through the code the streamed API response and the export jobs use
(transparency.exports.export_write; on PostgreSQL the CSV and the NDJSON are written by the
database, transparency/database_exports.py). Targets: CSV at least 0.8 x the COPY's rate with a
peak RSS under 100 MB, NDJSON at least 0.6 x with a peak under 150 MB. The load average is
printed at the start and the end: the machine may be shared.

``--kinds dsa-sor-csv,dsa-sor-json,lumen-json`` measures the other projects' formats the same way
(requests read per second, peak memory against the 150 MB bound; they have no COPY baseline).
``--one KIND`` runs one of them (or ``copy``) in this process and prints its figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ensure_dataset, machine, peak_rss_mb, report, run_json, save_result, setup_django  # noqa: E402

# Rate of each export against the bare COPY of the same columns in the same run.
TARGET_RATIOS = {"csv": 0.8, "ndjson": 0.6}
TARGET_PEAK_MB = {"csv": 100, "ndjson": 150}
INTEROP_PEAK_MB = 150
OWN_KINDS = ("csv", "ndjson")
INTEROP_KINDS = ("dsa-sor-csv", "dsa-sor-json", "lumen-json")

# The CSV export's columns (transparency.exports.CSV_COLUMNS), computed by PostgreSQL with its own
# formatting and no pseudonyms (the handles stand in for them): the bare cost of reading them out.
COPY_SQL = """
COPY (
SELECT r.reference, a.jurisdiction_id, a.code, a.name, r.authority_type, NULL, r.submission_method, r.external_id,
       r.category, prov.codes, r.requested_action, r.urgency, (r.court_name <> '' AND r.court_case_number <> ''),
       r.court_name, r.court_case_number, r.court_order_date, r.confidentiality_requested, r.status, r.outcome,
       r.queue, r.priority, r.sla_due_at, r.sla_breached, r.workflow_version, r.rules_version, r.screening_round,
       r.review_round, chk.completeness, chk.platform_policy, chk.local_law, chk.human_rights, chk.flags,
       it.n, it.content_ids, it.sha256s, it.handles, NULL, it.decisions, it.removed, it.restricted, it.no_action,
       r.created_at, r.submitted_at, r.routed_at, r.decided_at, r.closed_at
FROM reports_takedownrequest r
JOIN reports_agency a ON a.id = r.agency_id
LEFT JOIN LATERAL (
    SELECT string_agg(p.code, ';' ORDER BY c.position) AS codes
    FROM reports_citedprovision c JOIN reports_legalprovision p ON p.id = c.provision_id WHERE c.request_id = r.id
) prov ON true
LEFT JOIN LATERAL (
    SELECT max(verdict) FILTER (WHERE name = 'completeness') AS completeness,
           max(verdict) FILTER (WHERE name = 'platform_policy') AS platform_policy,
           max(verdict) FILTER (WHERE name = 'local_law') AS local_law,
           max(verdict) FILTER (WHERE name = 'human_rights') AS human_rights,
           string_agg((SELECT string_agg(cr.name || ':' || f, ';') FROM jsonb_array_elements_text(cr.flags) f),
                      ';' ORDER BY cr.position) AS flags
    FROM review_checkresult cr WHERE cr.request_id = r.id AND cr.round = r.screening_round
) chk ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n, string_agg(ci.code, ';' ORDER BY i.position) AS content_ids,
           string_agg(i.snapshot_sha256, ';' ORDER BY i.position) AS sha256s,
           string_agg(pa.handle, ';' ORDER BY i.position) AS handles,
           string_agg(d.action, ';' ORDER BY i.position) AS decisions,
           count(*) FILTER (WHERE d.action = 'remove_globally') AS removed,
           count(*) FILTER (WHERE d.action = 'restrict_in_jurisdiction') AS restricted,
           count(*) FILTER (WHERE d.action = 'no_action') AS no_action
    FROM reports_requestitem i
    LEFT JOIN reports_contentitem ci ON ci.id = i.content_id
    LEFT JOIN reports_platformaccount pa ON pa.id = ci.author_id
    LEFT JOIN LATERAL (SELECT action FROM review_decision WHERE item_id = i.id ORDER BY round DESC LIMIT 1) d ON true
    WHERE i.request_id = r.id
) it ON true
WHERE r.exercise_id = %(exercise)s AND r.status <> 'draft'
ORDER BY r.id
) TO STDOUT WITH (FORMAT csv, HEADER true)
"""


# The NDJSON's data (every column of its records: the justification, each check with its explanation,
# each item with its snapshot and its decisions with their rationales, about five times the CSV's bytes),
# read out by PostgreSQL with its own formatting of rows and arrays, no JSON, no pseudonyms: the bare cost
# of reading what the NDJSON holds, as COPY_SQL is the CSV's.
NDJSON_COPY_SQL = """
COPY (
SELECT r.reference, a.jurisdiction_id, a.code, a.name, r.authority_type, NULL, r.submission_method, r.external_id,
       r.category, prov.codes, r.requested_action, r.justification, r.urgency,
       (r.court_name <> '' AND r.court_case_number <> ''), r.court_name, r.court_case_number, r.court_order_date,
       r.confidentiality_requested, r.status, r.outcome, r.queue, r.priority, r.sla_due_at, r.sla_breached,
       r.workflow_version, r.rules_version, r.screening_round, r.review_round, chk.checks, it.items,
       r.created_at, r.submitted_at, r.routed_at, r.decided_at, r.closed_at
FROM reports_takedownrequest r
JOIN reports_agency a ON a.id = r.agency_id
LEFT JOIN LATERAL (
    SELECT array_agg(p.code ORDER BY c.position) AS codes
    FROM reports_citedprovision c JOIN reports_legalprovision p ON p.id = c.provision_id WHERE c.request_id = r.id
) prov ON true
LEFT JOIN LATERAL (
    SELECT array_agg(ROW(cr.round, cr.name, cr.version, cr.verdict, cr.explanation, cr.flags) ORDER BY cr.position)
           AS checks
    FROM review_checkresult cr WHERE cr.request_id = r.id AND cr.round = r.screening_round
) chk ON true
LEFT JOIN LATERAL (
    SELECT array_agg(ROW(i.position, ci.code, i.url, pa.handle, pa.persona, i.snapshot, i.snapshot_sha256,
                         d.decisions) ORDER BY i.position) AS items
    FROM reports_requestitem i
    LEFT JOIN reports_contentitem ci ON ci.id = i.content_id
    LEFT JOIN reports_platformaccount pa ON pa.id = ci.author_id
    LEFT JOIN LATERAL (
        SELECT array_agg(ROW(round, action, reason_code, rationale, reviewer_tier, contradicts_checks, decided_at)
                         ORDER BY round) AS decisions
        FROM review_decision WHERE item_id = i.id
    ) d ON true
    WHERE i.request_id = r.id
) it ON true
WHERE r.exercise_id = %(exercise)s AND r.status <> 'draft'
ORDER BY r.id
) TO STDOUT WITH (FORMAT csv, HEADER true)
"""


# Each export's baseline: the bare COPY of its own columns.
BASELINES = {"copy": COPY_SQL, "copy-ndjson": NDJSON_COPY_SQL}
BASELINE_OF = {"csv": "copy", "ndjson": "copy-ndjson"}


class CountingSink:
    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> None:
        self.bytes += len(data)


def run_one(kind: str) -> dict:
    """One export in this process; prints its figures as JSON."""
    setup_django()
    from django.db import connection

    from reports.tenancy import exercise_default
    from transparency.dsa import StatementReport
    from transparency.exports import export_write
    from transparency.selectors import audit_requests

    exercise = exercise_default()
    start = time.perf_counter()
    if kind in BASELINES:
        rows, size = 0, 0
        with connection.cursor() as cursor:
            sql = BASELINES[kind].replace("%(exercise)s", str(int(exercise.pk)))
            with cursor.cursor.copy(sql) as copy:
                for data in copy:  # one message per row (a quoted cell may hold line feeds)
                    size += len(data)
                    rows += 1
        rows -= 1  # the header
    else:
        sink = CountingSink()
        report = StatementReport() if kind.startswith("dsa-") else None
        rows, size, _sha = export_write(audit_requests(exercise=exercise), kind, personal=False, out=sink,
                                        report=report)
    seconds = time.perf_counter() - start
    result = {"kind": kind, "rows": rows, "bytes": size, "seconds": seconds, "rows_per_s": rows / seconds,
              "peak_rss_mb": peak_rss_mb()}
    if kind.startswith("dsa-"):
        result.update(statements=report.statements, not_expressible=report.not_expressible)
    return result


def load_average() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--one", choices=[*BASELINES, *OWN_KINDS, *INTEROP_KINDS], help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default=",".join(OWN_KINDS),
                        help="Comma-separated: " + ", ".join((*OWN_KINDS, *INTEROP_KINDS)) + ".")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return

    kinds = [kind for kind in args.kinds.split(",") if kind]
    ensure_dataset()
    load_start = load_average()
    own = [kind for kind in kinds if kind in OWN_KINDS]
    baselines = {BASELINE_OF[kind]: run_json([__file__, "--one", BASELINE_OF[kind]]) for kind in own}
    results = {kind: run_json([__file__, "--one", kind]) for kind in kinds}
    load_end = load_average()
    rows = []
    for name, baseline in baselines.items():
        rows.append((f"bare COPY of the {'CSV' if name == 'copy' else 'NDJSON'}'s columns, {baseline['rows']:,} rows",
                     f"{baseline['rows_per_s']:,.0f} rows/s ({baseline['seconds']:.0f} s, "
                     f"{baseline['bytes'] / 1e6:,.0f} MB), peak RSS {baseline['peak_rss_mb']:.0f} MB",
                     "(the baseline)", "—"))
    for kind, result in results.items():
        figures = (f"{result['rows_per_s']:,.0f} requests/s ({result['seconds']:.0f} s, "
                   f"{result['bytes'] / 1e6:,.0f} MB), peak RSS {result['peak_rss_mb']:.0f} MB")
        if kind in INTEROP_KINDS:
            result["met"] = result["peak_rss_mb"] < INTEROP_PEAK_MB
            if "statements" in result:
                figures += f"; {result['statements']:,} statements, {result['not_expressible']:,} not expressible"
            rows.append((f"{kind} export, {result['rows']:,} requests", figures, "—",
                         f"< {INTEROP_PEAK_MB} MB: {'met' if result['met'] else 'NOT met'}"))
            continue
        copy = baselines[BASELINE_OF[kind]]
        result["ratio"] = result["rows_per_s"] / copy["rows_per_s"]
        target, peak = TARGET_RATIOS[kind], TARGET_PEAK_MB[kind]
        result["met"] = result["ratio"] >= target and result["peak_rss_mb"] < peak
        baseline = f"COPY of its columns {copy['rows_per_s']:,.0f} rows/s ({copy['seconds']:.0f} s)"
        if kind == "ndjson" and "copy" in baselines:
            # Against the CSV's COPY too: the NDJSON writes about five times as many bytes.
            result["ratio_to_csv_copy"] = result["rows_per_s"] / baselines["copy"]["rows_per_s"]
            baseline += f"; {result['ratio_to_csv_copy']:.2f}× the CSV's COPY"
        rows.append((f"{kind.upper()} export, {result['rows']:,} rows", figures, baseline,
                     f"≥ {target}× COPY, < {peak} MB: {result['ratio']:.2f}× "
                     f"{'met' if result['met'] else 'NOT met'}"))
    save_result("export" if kinds == list(OWN_KINDS) else "export-" + "-".join(kinds),
                {**baselines, **results, "load_average": [load_start, load_end], "machine": machine()})
    report(f"Export (load average {load_start} at the start, {load_end} at the end)", rows)


if __name__ == "__main__":
    main()
