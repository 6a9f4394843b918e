#!/usr/bin/env python3
"""Bulk filing through the API: 100 requests a call, stored and enqueued (screening runs after).

Baseline: the EU DSA Transparency Database's per-user limit of 200 submissions a second; the
target is five times that. Calls go to gunicorn (DEBUG off) from ``--clients`` concurrent clients
of one reporter, each batch with new external ids; no worker runs during the measurement.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/bulk.py [--calls 30] [--clients 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.accounts import bench_accounts  # noqa: E402
from bench.common import ensure_dataset, machine, percentiles, production_env, report, save_result, setup_django  # noqa: E402,E501
from bench.load import Client, Server, run_clients, timed  # noqa: E402

BATCH = 100
DSA_RATE = 200
TARGET_RATE = 5 * DSA_RATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=30, help="calls per client")
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    ensure_dataset()
    env = production_env()
    setup_django()
    accounts = bench_accounts()
    headers = {"Authorization": f"Token {accounts.reporter_token}", "Content-Type": "application/json"}
    run_id = f"{time.time():.0f}"

    def body(client_number: int, call: int, tag: str) -> bytes:
        requests = []
        for n in range(BATCH):
            content = accounts.content_ids[(call * BATCH + n) % len(accounts.content_ids)]
            requests.append({
                "items": [{"content_id": content}], "category": accounts.category,
                "legal_basis": accounts.provisions, "requested_action": "restrict_in_jurisdiction",
                "justification": "The post is unlawful under the cited provision.",
                "external_id": f"bench-{run_id}{tag}-{client_number}-{call}-{n}"})
        return json.dumps({"requests": requests}).encode()

    def make(number: int):
        return {"client": Client(headers), "number": number, "prefix": ""}

    def call(state, iteration):
        payload = body(state["number"], iteration, state["prefix"])
        ms, status, data, _ = timed(state["client"], "POST", "/api/v1/requests/bulk/", body=payload)
        assert status == 201, (status, data[:2000])
        return [("bulk call", ms)]

    def make_warm(number: int):
        return {**make(number), "prefix": "warm-"}

    with Server(env):
        run_clients(args.clients, 2, make_warm, call)
        samples, seconds = run_clients(args.clients, args.calls, make, call)
    filed = len(samples["bulk call"]) * BATCH
    rate = filed / seconds
    stats = percentiles(samples["bulk call"])
    save_result("bulk", {"requests": filed, "seconds": seconds, "rate": rate, "clients": args.clients,
                         "batch": BATCH, "call_ms": stats, "met": rate >= TARGET_RATE, "machine": machine()})
    report("Bulk filing through the API", [
        (f"{filed:,} requests in calls of {BATCH}, {args.clients} clients",
         f"{rate:,.0f} requests/s (a call: p50 {stats['p50']:.0f} ms, p95 {stats['p95']:.0f} ms)",
         f"DSA Transparency Database limit {DSA_RATE}/s",
         f"≥ {TARGET_RATE:,}/s: {rate / DSA_RATE:.1f}× the limit, {'met' if rate >= TARGET_RATE else 'NOT met'}"),
    ])


if __name__ == "__main__":
    main()
