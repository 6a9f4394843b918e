#!/usr/bin/env python3
"""The reviewers' request list (the admin changelist, most urgent first) at a million requests.

Baseline in the same run: the same page over a database of a thousand requests
(``<database>_1k``, generated the same way). Timed in-process through Django's test client
with DEBUG off, as a senior reviewer; the query count is that of one page load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/queue_page.py [--loads 40]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import page_bench_main, page_timings, setup_django  # noqa: E402

TARGET_P95_MS = 200
URLS = {
    "default list": "/admin/reports/takedownrequest/",
    "open, unclaimed": "/admin/reports/takedownrequest/?claim=unclaimed&status=open",
    "policy queue": "/admin/reports/takedownrequest/?queue__exact=policy&status=open",
}


def run_one(loads: int) -> dict:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from reports.models import TakedownRequest
    from tests.factories import user_in_role

    reviewer = get_user_model().objects.filter(username="bench-senior").first() or \
        user_in_role("bench-senior", "senior_reviewer")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(reviewer)
    return {"requests": TakedownRequest.objects.count(), **page_timings(client, URLS, loads)}


def main() -> None:
    page_bench_main(__file__, "Reviewer queue list page", "queue_page", URLS, TARGET_P95_MS, run_one)


if __name__ == "__main__":
    main()
