#!/usr/bin/env python3
"""Generate benchmark data fast: N requests with items, checks, decisions and audit events.

A few hundred template requests are filed and screened through the real services (so
their check results, routes, decisions and events are genuine), then cloned with
PostgreSQL COPY under new ids, references, dates and agencies of the same jurisdiction.
Clones' audit events get their own canonical bytes, so the audit trail stays consistent.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench python3 bench/datagen.py --requests 1000000

The database is migrated first; existing request data is kept (the clones are added).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

CHUNK = 20_000


_json_text: dict[int, tuple[object, str]] = {}


def _json(value) -> str:
    # Clones share their template's JSON objects: serialise each object once.
    cached = _json_text.get(id(value))
    if cached is None or cached[0] is not value:
        cached = (value, json.dumps(value))
        _json_text[id(value)] = cached
    return cached[1]


def copy_rows(model, rows: list[dict]) -> None:
    """COPY rows (dicts of attname -> Python value) into the model's table.

    psycopg adapts dates, times, numbers, bytes and UUIDs itself; only JSON needs text.
    """
    from django.db import connection
    from django.db.models import JSONField

    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if f.attname in rows[0]]
    names = [f.attname for f in fields]
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = [row[name] for name in names]
            for i in json_positions:
                values[i] = _json(values[i])
            copy.write_row(values)


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


def clone(template_ids: list[int], total: int, seed: int) -> None:
    from django.db import connection, transaction

    from audit.canonical import canonical_bytes, event_document, format_time
    from audit.models import AuditEvent
    from reports.models import Agency, CitedProvision, RequestItem, TakedownRequest
    from review.models import CheckResult, Decision, ScreeningRun

    rng = random.Random(seed)
    templates = []
    for request in TakedownRequest.objects.filter(pk__in=template_ids).select_related("exercise"):
        templates.append({
            "request": {f.attname: getattr(request, f.attname) for f in TakedownRequest._meta.concrete_fields},
            "items": list(RequestItem.objects.filter(request=request).values()),
            "citations": list(CitedProvision.objects.filter(request=request).values()),
            "runs": list(ScreeningRun.objects.filter(request=request).values()),
            "checks": list(CheckResult.objects.filter(request=request).values()),
            "decisions": list(Decision.objects.filter(request=request).values()),
            "events": list(AuditEvent.objects.filter(request=request).values()),
            "exercise": request.exercise.slug,
        })
    agencies: dict[str, list[int]] = {}
    for agency_id, jurisdiction in Agency.objects.values_list("id", "jurisdiction_id"):
        agencies.setdefault(jurisdiction, []).append(agency_id)
    agency_jurisdiction = dict(Agency.objects.values_list("id", "jurisdiction_id"))
    start = datetime(2019, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 6, 30, tzinfo=UTC) - start).total_seconds()

    done = 0
    began = time.perf_counter()
    while done < total:
        size = min(CHUNK, total - done)
        chosen = [rng.choice(templates) for _ in range(size)]
        counts = {name: sum(len(t[name]) for t in chosen) for name in ("items", "citations", "runs", "checks",
                                                                       "decisions", "events")}
        with transaction.atomic():
            # The clones are consistent by construction: skip per-row foreign-key and append-only triggers.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            next_id = {
                "request": reserve_ids(TakedownRequest, size), "items": reserve_ids(RequestItem, counts["items"]),
                "citations": reserve_ids(CitedProvision, counts["citations"]),
                "runs": reserve_ids(ScreeningRun, counts["runs"]), "checks": reserve_ids(CheckResult, counts["checks"]),
                "decisions": reserve_ids(Decision, counts["decisions"]),
                "events": reserve_ids(AuditEvent, counts["events"]),
            }
            rows: dict[str, list[dict]] = {name: [] for name in ("request", "items", "citations", "runs", "checks",
                                                                 "decisions", "events")}
            for template in chosen:
                original = template["request"]
                shift = start + timedelta(seconds=rng.random() * span) - original["created_at"]
                request_id = next_id["request"]
                next_id["request"] += 1
                agency_id = rng.choice(agencies[agency_jurisdiction[original["agency_id"]]])

                def moved(value, shift=shift):
                    return value + shift if value is not None else None

                request = {**original, "id": request_id, "agency_id": agency_id, "external_id": None,
                           "claimed_by_id": None, "claimed_at": None}
                if request["status"] == "in_review":
                    request["status"] = "queued"
                for name in ("created_at", "submitted_at", "routed_at", "decided_at", "closed_at", "last_activity_at",
                             "sla_due_at"):
                    request[name] = moved(original[name])
                request["reference"] = f"CRS-{request['created_at'].year}-{request_id:06d}"
                rows["request"].append(request)
                item_ids, run_ids = {}, {}
                for item in template["items"]:
                    item_ids[item["id"]] = next_id["items"]
                    rows["items"].append({**item, "id": next_id["items"], "request_id": request_id})
                    next_id["items"] += 1
                for citation in template["citations"]:
                    rows["citations"].append({**citation, "id": next_id["citations"], "request_id": request_id})
                    next_id["citations"] += 1
                for run in template["runs"]:
                    run_ids[run["id"]] = next_id["runs"]
                    rows["runs"].append({**run, "id": next_id["runs"], "request_id": request_id,
                                         "finished_at": moved(run["finished_at"])})
                    next_id["runs"] += 1
                for check in template["checks"]:
                    rows["checks"].append({**check, "id": next_id["checks"], "request_id": request_id,
                                           "screening_id": run_ids[check["screening_id"]],
                                           "created_at": moved(check["created_at"])})
                    next_id["checks"] += 1
                for decision in template["decisions"]:
                    rows["decisions"].append({**decision, "id": next_id["decisions"], "request_id": request_id,
                                              "item_id": item_ids[decision["item_id"]],
                                              "decided_at": moved(decision["decided_at"])})
                    next_id["decisions"] += 1
                for event in template["events"]:
                    uid, at = uuid.uuid4(), moved(event["created_at"])
                    # The canonical bytes differ from the template's only in uid, time and reference:
                    # substitute those three strings rather than re-serialise (checked below).
                    canonical = (bytes(event["canonical"])
                                 .replace(str(event["uid"]).encode(), str(uid).encode(), 1)
                                 .replace(format_time(event["created_at"]).encode(), format_time(at).encode(), 1)
                                 .replace(f'"{original["reference"]}"'.encode(),
                                          f'"{request["reference"]}"'.encode(), 1))
                    if next_id["events"] % 10_000 == 0:
                        document = event_document(
                            uid=str(uid), event_type=event["event_type"], at=at, exercise=template["exercise"],
                            request=request["reference"],
                            actor_id=f"user:{event['actor_id']}" if event["actor_id"] else "system",
                            actor_role=event["actor_role"], payload=event["payload"])
                        assert canonical == canonical_bytes(document), "substitution diverged from the encoding"
                    rows["events"].append({**event, "id": next_id["events"], "uid": uid, "request_id": request_id,
                                           "created_at": at, "canonical": canonical})
                    next_id["events"] += 1
            copy_rows(TakedownRequest, rows["request"])
            copy_rows(RequestItem, rows["items"])
            copy_rows(CitedProvision, rows["citations"])
            copy_rows(ScreeningRun, rows["runs"])
            copy_rows(CheckResult, rows["checks"])
            copy_rows(Decision, rows["decisions"])
            copy_rows(AuditEvent, rows["events"])
        done += size
        rate = done / (time.perf_counter() - began)
        print(f"\r{done:>9,} / {total:,} requests cloned ({rate:,.0f}/s)", end="", flush=True)
    print()


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
    print(f"Cloning them into {args.requests:,} requests with COPY ...", flush=True)
    clone(templates, args.requests, args.seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print("Done.")


if __name__ == "__main__":
    main()
