#!/usr/bin/env python3
"""Generate benchmark data fast: N requests with items, checks, decisions and audit events.

A few hundred template requests are filed and screened through the real services (so
their check results, routes, decisions and events are genuine), then cloned by PostgreSQL
itself (INSERT ... SELECT over generate_series joined to the templates, CHUNK requests per
transaction) under new ids, references, dates and agencies of the same jurisdiction.
Clones' audit events get their own uids and canonical bytes, so the audit trail stays
consistent; a sample is re-encoded in Python at the end to prove it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench python3 bench/datagen.py --requests 1000000

The database is migrated first; existing request data is kept (the clones are added).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

CHUNK = 50_000  # requests per transaction: about half a million events


def reserve_ids(model, count: int) -> int:
    """Reserve ``count`` ids from the table's sequence; return the first."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(f"SELECT setval('{sequence}', nextval('{sequence}') + %s - 1)", [count])
        last = cursor.fetchone()[0]
    return last - count + 1


def build_templates(count: int, seed: int) -> list[int]:
    """File and screen real requests; decide most of them as reviewers would."""
    from filing.services import request_file
    from filing.simulation import synthetic_requests
    from reports.models import Status
    from review.models import Decision
    from review.services import item_decide, request_claim, request_screen
    from tests.factories import user_in_role

    rng = random.Random(seed)
    senior = user_in_role("bench-senior", "senior_reviewer")
    ids = []
    for reporter, data in synthetic_requests(count=count, seed=seed):
        request, _ = request_file(reporter=reporter, data=data)
        request_screen(request_id=request.pk)
        request.refresh_from_db()
        if request.status == Status.QUEUED and rng.random() < 0.7:
            request_claim(reviewer=senior, request=request)
            for item in request.items.all():
                action = rng.choice(["no_action", "no_action", "restrict_in_jurisdiction", "remove_globally"])
                reason = {"no_action": "not_unlawful", "restrict_in_jurisdiction": "unlawful_locally",
                          "remove_globally": "policy_violation"}[action]
                item_decide(reviewer=senior, item=item, action=action, reason_code=reason,
                            rationale=f"Benchmark decision: {action.replace('_', ' ')}.")
        ids.append(request.pk)
    assert Decision.objects.exists()
    return ids


def _columns(model) -> list[tuple[str, object]]:
    """(column, field) of the model's table that an INSERT states (not those the database computes), in order."""
    return [(field.column, field) for field in model._meta.concrete_fields if not field.generated]


def _select_list(model, alias: str, overrides: dict[str, str]) -> tuple[str, str]:
    """The INSERT's column list and the SELECT's expressions: the template's values, moved in time, unless overridden.

    Every time column moves by the clone's shift, so a clone's history keeps its template's intervals.
    """
    from django.db.models import DateTimeField

    names, values = [], []
    for column, field in _columns(model):
        if column in overrides:
            if overrides[column] is None:
                continue  # left to the column's default (the id sequence)
            values.append(overrides[column])
        elif isinstance(field, DateTimeField):
            values.append(f"{alias}.{column} + cm.shift")
        else:
            values.append(f"{alias}.{column}")
        names.append(column)
    return ", ".join(names), ", ".join(values)


def clone(template_ids: list[int], total: int, seed: int) -> None:
    """Clone the templates ``total`` times, CHUNK clones per transaction, entirely in SQL (INSERT ... SELECT).

    A clone is a template request with a new id, reference, agency (of the same jurisdiction) and
    date (uniformly from 2019-01 to 2026-06), its whole history moved by the same interval: items
    (with their snapshots), citations, screening runs and check results, decisions and audit events.
    An event's canonical bytes differ from its template's only in uid, time and reference; those
    three are substituted where the encoder wrote them (their first occurrences).
    """
    from django.db import connection, transaction

    from audit.models import AuditEvent
    from reports.models import CitedProvision, RequestItem, TakedownRequest
    from review.models import CheckResult, Decision, ScreeningRun

    table = {model: model._meta.db_table for model in (TakedownRequest, RequestItem, CitedProvision, ScreeningRun,
                                                         CheckResult, Decision, AuditEvent)}
    start = datetime(2019, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 6, 30, tzinfo=UTC) - start).total_seconds()
    canonical_time = "to_char(({}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table[AuditEvent]}")
        first_event = cursor.fetchone()[0] + 1
        # The templates' rows, copied once: each chunk joins these small tables, never the growing ones.
        cursor.execute(f"""
            CREATE TEMP TABLE tpl_request AS
            SELECT r.*, row_number() OVER (ORDER BY r.id) AS k, a.jurisdiction_id,
                   (SELECT count(*) FROM {table[RequestItem]} i WHERE i.request_id = r.id) AS n_items,
                   (SELECT count(*) FROM {table[ScreeningRun]} s WHERE s.request_id = r.id) AS n_runs
            FROM {table[TakedownRequest]} r JOIN reports_agency a ON a.id = r.agency_id
            WHERE r.id = ANY(%s)""", [template_ids])
        for name, model in (("item", RequestItem), ("run", ScreeningRun)):
            # Numbered from 0 within their request: a clone's k-th item takes the k-th id of its block.
            cursor.execute(f"""
                CREATE TEMP TABLE tpl_{name} AS
                SELECT *, row_number() OVER (PARTITION BY request_id ORDER BY id) - 1 AS k
                FROM {table[model]} WHERE request_id = ANY(%s)""", [template_ids])
        for name, model in (("citation", CitedProvision), ("check", CheckResult), ("decision", Decision)):
            cursor.execute(f"CREATE TEMP TABLE tpl_{name} AS SELECT * FROM {table[model]} WHERE request_id = ANY(%s)",
                           [template_ids])
        # Where each event's uid, time and reference stand in its canonical text.
        cursor.execute(f"""
            CREATE TEMP TABLE tpl_event AS
            SELECT e.*, position(e.uid::text IN e.text) AS at_uid, position(e.old_time IN e.text) AS at_time,
                   position(e.old_reference IN e.text) AS at_reference
            FROM (SELECT ev.*, convert_from(ev.canonical, 'UTF8') AS text,
                         {canonical_time.format("ev.created_at")} AS old_time,
                         '"' || r.reference || '"' AS old_reference
                  FROM {table[AuditEvent]} ev JOIN {table[TakedownRequest]} r ON r.id = ev.request_id
                  WHERE ev.request_id = ANY(%s)) e""", [template_ids])
        cursor.execute("SELECT count(*) FROM tpl_event WHERE at_uid = 0 OR at_time = 0 OR at_reference = 0")
        assert cursor.fetchone()[0] == 0, "a template event's canonical text lacks its uid, time or reference"
        cursor.execute("""
            CREATE TEMP TABLE tpl_agency AS
            SELECT jurisdiction_id, array_agg(id ORDER BY id) AS ids FROM reports_agency GROUP BY jurisdiction_id""")
        for name in ("request", "item", "run", "citation", "check", "decision", "event", "agency"):
            cursor.execute(f"ANALYZE tpl_{name}")

    requests_sql = _select_list(TakedownRequest, "t", {
        "id": "cm.id", "agency_id": "cm.agency_id", "external_id": "NULL", "claimed_by_id": "NULL",
        "claimed_at": "NULL", "reference": "cm.reference",
        "status": "CASE WHEN t.status = 'in_review' THEN 'queued' ELSE t.status END"})
    items_sql = _select_list(RequestItem, "t", {"id": "cm.item_base + t.k", "request_id": "cm.id"})
    citations_sql = _select_list(CitedProvision, "t", {"id": None, "request_id": "cm.id"})
    runs_sql = _select_list(ScreeningRun, "t", {"id": "cm.run_base + t.k", "request_id": "cm.id"})
    checks_sql = _select_list(CheckResult, "t", {"id": None, "request_id": "cm.id",
                                                 "screening_id": "cm.run_base + run.k"})
    decisions_sql = _select_list(Decision, "t", {"id": None, "request_id": "cm.id",
                                                 "item_id": "cm.item_base + item.k"})
    # The uid and the time keep their lengths, so the reference's position stays valid after them.
    canonical = ("convert_to(overlay(overlay(overlay(t.text PLACING e.uid::text FROM t.at_uid FOR 36) "
                 f"PLACING {canonical_time.format('t.created_at + cm.shift')} FROM t.at_time FOR length(t.old_time)) "
                 "PLACING '\"' || cm.reference || '\"' FROM t.at_reference FOR length(t.old_reference)), 'UTF8')")
    events_sql = _select_list(AuditEvent, "t", {"id": None, "uid": "e.uid", "request_id": "cm.id",
                                                "canonical": canonical})
    done = 0
    began = time.perf_counter()
    while done < total:
        size = min(CHUNK, total - done)
        with transaction.atomic(), connection.cursor() as cursor:
            # The clones are consistent by construction: skip per-row foreign-key and append-only triggers.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("""
                CREATE TEMP TABLE cm ON COMMIT DROP AS
                WITH pick AS MATERIALIZED (
                    SELECT g, 1 + floor(random() * (SELECT count(*) FROM tpl_request))::int AS k,
                           random() AS r_time, random() AS r_agency
                    FROM generate_series(1, %(size)s) g
                )
                SELECT pick.g, t.id AS template_id, t.n_items, t.n_runs,
                       %(start)s::timestamptz + pick.r_time * %(span)s * interval '1 second' - t.created_at AS shift,
                       a.ids[1 + floor(pick.r_agency * array_length(a.ids, 1))::int] AS agency_id,
                       sum(t.n_items) OVER (ORDER BY pick.g) - t.n_items AS item_offset,
                       sum(t.n_runs) OVER (ORDER BY pick.g) - t.n_runs AS run_offset,
                       extract(year FROM (%(start)s::timestamptz + pick.r_time * %(span)s * interval '1 second')
                                         AT TIME ZONE 'UTC')::int AS year
                FROM pick JOIN tpl_request t ON t.k = pick.k
                JOIN tpl_agency a ON a.jurisdiction_id = t.jurisdiction_id""",
                           {"size": size, "start": start, "span": span})
            cursor.execute("SELECT sum(n_items), sum(n_runs) FROM cm")
            n_items, n_runs = cursor.fetchone()
            first = {"request": reserve_ids(TakedownRequest, size), "item": reserve_ids(RequestItem, int(n_items)),
                     "run": reserve_ids(ScreeningRun, int(n_runs))}
            cursor.execute("""
                ALTER TABLE cm ADD COLUMN id bigint, ADD COLUMN item_base bigint, ADD COLUMN run_base bigint,
                               ADD COLUMN reference text""")
            cursor.execute("""
                UPDATE cm SET id = %(request)s + g - 1, item_base = %(item)s + item_offset,
                              run_base = %(run)s + run_offset""", first)
            cursor.execute("""
                UPDATE cm SET reference = 'CRS-' || year || '-' ||
                                          CASE WHEN id < 1000000 THEN lpad(id::text, 6, '0') ELSE id::text END""")
            cursor.execute("ANALYZE cm")
            cursor.execute(f"""
                INSERT INTO {table[TakedownRequest]} ({requests_sql[0]})
                SELECT {requests_sql[1]} FROM cm JOIN tpl_request t ON t.id = cm.template_id""")
            cursor.execute(f"""
                INSERT INTO {table[RequestItem]} ({items_sql[0]})
                SELECT {items_sql[1]} FROM cm JOIN tpl_item t ON t.request_id = cm.template_id""")
            cursor.execute(f"""
                INSERT INTO {table[CitedProvision]} ({citations_sql[0]})
                SELECT {citations_sql[1]} FROM cm JOIN tpl_citation t ON t.request_id = cm.template_id""")
            cursor.execute(f"""
                INSERT INTO {table[ScreeningRun]} ({runs_sql[0]})
                SELECT {runs_sql[1]} FROM cm JOIN tpl_run t ON t.request_id = cm.template_id""")
            cursor.execute(f"""
                INSERT INTO {table[CheckResult]} ({checks_sql[0]})
                SELECT {checks_sql[1]} FROM cm JOIN tpl_check t ON t.request_id = cm.template_id
                JOIN tpl_run run ON run.id = t.screening_id""")
            cursor.execute(f"""
                INSERT INTO {table[Decision]} ({decisions_sql[0]})
                SELECT {decisions_sql[1]} FROM cm JOIN tpl_decision t ON t.request_id = cm.template_id
                JOIN tpl_item item ON item.id = t.item_id""")
            cursor.execute(f"""
                WITH e AS MATERIALIZED (  -- one new uid per cloned event, written twice below
                    SELECT cm.g, t.id AS template_event, gen_random_uuid() AS uid
                    FROM cm JOIN tpl_event t ON t.request_id = cm.template_id
                )
                INSERT INTO {table[AuditEvent]} ({events_sql[0]})
                SELECT {events_sql[1]}
                FROM e JOIN cm ON cm.g = e.g JOIN tpl_event t ON t.id = e.template_event""")
        done += size
        rate = done / (time.perf_counter() - began)
        print(f"\r{done:>9,} / {total:,} requests cloned ({rate:,.0f}/s)", end="", flush=True)
    print()
    _check_clone_events(first_event)


def _check_clone_events(first: int) -> None:
    """Re-encode cloned events spread over the run: their canonical bytes must be what the encoder writes."""
    from django.db.models import Max

    from audit.canonical import canonical_bytes, event_document
    from audit.models import AuditEvent

    last = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    sample = range(first, last + 1, max(1, (last - first) // 50))
    for event in AuditEvent.objects.filter(id__in=list(sample)).select_related("exercise", "request"):
        document = event_document(
            uid=str(event.uid), event_type=event.event_type, at=event.created_at,
            exercise=event.exercise.slug if event.exercise else None,
            request=event.request.reference if event.request else None,
            actor_id=f"user:{event.actor_id}" if event.actor_id else "system", actor_role=event.actor_role,
            payload=event.payload)
        assert bytes(event.canonical) == canonical_bytes(document), f"cloned event {event.pk} diverged"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--templates", type=int, default=300)
    parser.add_argument("--scenario", default="comparative")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()

    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from classroom.scenarios import load_scenario

    call_command("migrate", verbosity=0)
    load_scenario(args.scenario)
    print(f"Filing and screening {args.templates} template requests through the services ...", flush=True)
    templates = build_templates(args.templates, args.seed)
    print(f"Cloning them into {args.requests:,} requests in SQL ...", flush=True)
    clone(templates, args.requests, args.seed)
    with connection.cursor() as cursor:
        # Not only statistics: the visibility map lets the reports' index-only scans skip the table, as they
        # do once autovacuum has been by (a fresh million rows read through the heap took twice as long).
        cursor.execute("VACUUM ANALYZE")
    print("Done.")


if __name__ == "__main__":
    main()
