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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import page_bench_main, page_timings, setup_django  # noqa: E402

TARGET_P95_MS = 200
URLS = {"dashboard": "/portal/", "last page": "/portal/?page=999999", "queued only": "/portal/?status=queued"}


def run_one(loads: int) -> dict:
    setup_django()
    from django.db.models import Count
    from django.test import Client

    from reports.models import Agency, ReporterAccount, TakedownRequest
    from reports.tenancy import exercise_default
    from tests.factories import ReporterFactory, UserFactory

    exercise = exercise_default()
    agency = Agency.objects.annotate(n=Count("requests")).order_by("-n").first()
    account = ReporterAccount.objects.filter(user__username="bench-dashboard").first() or ReporterFactory(
        user=UserFactory(username="bench-dashboard"), agency=agency, exercise=exercise)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(account.user)
    return {"requests": TakedownRequest.objects.count(),
            "agency_requests": TakedownRequest.objects.filter(exercise=exercise, agency=account.agency).count(),
            **page_timings(client, URLS, loads)}


def main() -> None:
    page_bench_main(__file__, "Reporters' dashboard", "dashboard", URLS, TARGET_P95_MS, run_one,
                    describe=lambda run: f"agency with {run['agency_requests']:,} of {run['requests']:,} requests")


if __name__ == "__main__":
    main()
