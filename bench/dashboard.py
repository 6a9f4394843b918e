#!/usr/bin/env python3
"""The reporters' dashboard of the agency with the most requests, at a million requests.

Not a figure of the issue's table, but the page every reporter opens first: an agency that
has filed for years must not wait for it. Baseline in the same run: the same page over the
database of a thousand requests (``<database>_1k``). Timed in-process through Django's test
client with DEBUG off, as a verified reporter of that agency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/dashboard.py [--loads 40]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    SMALL_REQUESTS,
    database_url,
    ensure_dataset,
    machine,
    percentiles,
    production_env,
    report,
    run_json,
    save_result,
    setup_django,
)

TARGET_P95_MS = 200
URLS = {"dashboard": "/portal/", "last page": "/portal/?page=999999", "queued only": "/portal/?status=queued"}


def run_one(loads: int) -> dict:
    setup_django()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from reports.models import Agency, ReporterAccount, TakedownRequest
    from reports.selectors import exercise_default
    from tests.factories import ReporterFactory, UserFactory

    exercise = exercise_default()
    agency = Agency.objects.annotate(n=Count("requests")).order_by("-n").first()
    account = ReporterAccount.objects.filter(user__username="bench-dashboard").first() or ReporterFactory(
        user=UserFactory(username="bench-dashboard"), agency=agency, exercise=exercise)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(account.user)
    results = {"requests": TakedownRequest.objects.count(),
               "agency_requests": TakedownRequest.objects.filter(exercise=exercise, agency=account.agency).count()}
    for name, url in URLS.items():
        for _ in range(3):
            assert client.get(url).status_code == 200
        queries: list[str] = []

        def count(execute, sql, *args, seen=queries):
            seen.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            client.get(url)
        samples = []
        for _ in range(loads):
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results[name] = {**percentiles(samples), "queries": len(queries)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=40)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.loads)))
        return

    ensure_dataset()
    small_url = database_url(database_url().rsplit("/", 1)[1] + "_1k")
    ensure_dataset(SMALL_REQUESTS, small_url)
    env = production_env()
    small = run_json([__file__, "--one", "--loads", str(args.loads)], env={**env, "DATABASE_URL": small_url})
    large = run_json([__file__, "--one", "--loads", str(args.loads)], env=env)
    rows = []
    met = True
    for name in URLS:
        big, base = large[name], small[name]
        ok = big["p95"] < TARGET_P95_MS and big["queries"] == base["queries"]
        met &= ok
        rows.append((f"{name}, agency with {large['agency_requests']:,} of {large['requests']:,} requests",
                     f"p50 {big['p50']:.0f} ms, p95 {big['p95']:.0f} ms, {big['queries']} queries",
                     f"{small['agency_requests']:,} of {small['requests']:,}: p50 {base['p50']:.0f} ms, "
                     f"p95 {base['p95']:.0f} ms, {base['queries']} queries",
                     f"p95 < {TARGET_P95_MS} ms, same queries: {'met' if ok else 'NOT met'}"))
    save_result("dashboard", {"large": large, "small": small, "met": met, "machine": machine()})
    report("Reporters' dashboard", rows)


if __name__ == "__main__":
    main()
