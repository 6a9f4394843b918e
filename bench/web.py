#!/usr/bin/env python3
"""The auditors' request list and filing (the portal's form and the API) under 20 concurrent clients, on gunicorn.

Both targets in one run, with the static health endpoint (/healthz) as the baseline of each:

1. no think time (each client sends its next request as soon as the previous answer arrives):
   the throughput of each path against /healthz's, target ≥ 0.15×;
2. a think time per client (``--think``, mean 1 s, exponentially distributed, after each step):
   the p95 latency of each path, target < 100 ms.

gunicorn runs the product as docker-compose.yml deploys it (DEBUG off, 3 gthread processes of 4
threads, a pool of 4 database connections per process); ``--sync`` runs 2×cores+1 sync workers
instead, as the earlier figures did. Each client is a thread with its own keep-alive connection
and session. A form filing is three POSTs: new draft, save the draft (an item, category,
provisions, justification) and go to review, submit. An API filing is one POST of /api/v1/requests/
with a token. Screening is enqueued as usual; no worker runs here.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/web.py [--clients 20] [--rounds 15] [--think 1]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.accounts import PASSWORD, bench_accounts  # noqa: E402
from bench.common import (  # noqa: E402
    ensure_dataset,
    machine,
    percentiles,
    production_env,
    report,
    save_result,
    setup_django,
)
from bench.load import Client, Server, location, reference_in, run_clients, timed  # noqa: E402

TARGET_P95_MS = 100
TARGET_THROUGHPUT_RATIO = 0.15
JUSTIFICATION = "The post is unlawful under the cited provision; see the attached analysis."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=15,
                        help="filings per client without think time (3× as many GETs)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time of the second phase, in seconds")
    parser.add_argument("--think-rounds", type=int, default=8, help="filings per client with think time")
    parser.add_argument("--sync", action="store_true", help="sync workers (2×cores+1) instead of the deployed shape")
    args = parser.parse_args()
    ensure_dataset()
    env = production_env()
    setup_django()
    accounts = bench_accounts()
    auditor = {"Authorization": f"Token {accounts.auditor_token}"}
    api_reporter = {"Authorization": f"Token {accounts.reporter_token}", "Content-Type": "application/json"}

    def content_for(client, iteration: int) -> str:
        return accounts.content_ids[(iteration * 7 + id(client)) % len(accounts.content_ids)]

    def healthz(client, _i):
        ms, status, _, _ = timed(client, "GET", "/healthz")
        assert status == 200, status
        return [("healthz", ms)]

    def audit_list(client, _i):
        ms, status, _, _ = timed(client, "GET", "/api/v1/audit/requests/")
        assert status == 200, status
        return [("auditor list", ms)]

    def api_file(client, iteration):
        body = json.dumps({"items": [{"content_id": content_for(client, iteration)}], "category": accounts.category,
                           "legal_basis": accounts.provisions, "requested_action": "restrict_in_jurisdiction",
                           "justification": JUSTIFICATION}).encode()
        ms, status, data, _ = timed(client, "POST", "/api/v1/requests/", body=body)
        assert status == 201, (status, data[:2000])
        return [("API filing POST", ms)]

    def reporter_client(_number):
        client = Client()
        client.login(accounts.reporter, PASSWORD)
        return client

    def form_file(client, iteration):
        ms_new, status, _, response = timed(client, "FORM", "/portal/requests/new/", fields=[])
        assert status == 302, status
        reference = reference_in(location(response))
        fields = [("category", accounts.category), *(("legal_basis", code) for code in accounts.provisions),
                  ("requested_action", "restrict_in_jurisdiction"), ("urgency", "standard"),
                  ("justification", JUSTIFICATION), ("add_item", content_for(client, iteration)),
                  ("evidence_kind", "supporting"), ("action", "review")]
        ms_save, status, body, _ = timed(client, "FORM", f"/portal/requests/{reference}/edit/", fields=fields)
        assert status == 302, (status, body[:2000])
        ms_submit, status, body, _ = timed(client, "FORM", f"/portal/requests/{reference}/submit/", fields=[])
        assert status == 302, (status, body[:2000])
        return [("form: new draft", ms_new), ("form: save draft", ms_save), ("form: submit", ms_submit)]

    paths = [  # label, client factory, step, GETs or filings per client in the saturating phase
        ("healthz", lambda n: Client(), healthz, args.rounds * 3),
        ("auditor list", lambda n: Client(auditor), audit_list, args.rounds * 3),
        ("API filing POST", lambda n: Client(api_reporter), api_file, args.rounds * 3),
        ("form filing POSTs", reporter_client, form_file, args.rounds),
    ]

    def phase(think: float, scale) -> dict:
        figures = {}
        for label, make, step, per_client in paths:
            samples, seconds = run_clients(args.clients, scale(per_client), make, step, think)
            every = [ms for values in samples.values() for ms in values]
            figures[label] = {**percentiles(every), "per_s": len(every) / seconds}
            if len(samples) > 1:
                figures.update({part: percentiles(values) for part, values in samples.items()})
        return figures

    with Server(env, deployed=not args.sync):
        # Warm every process up (imports, connections, templates) before measuring.
        for _label, make, step, _n in paths:
            run_clients(args.clients, 2, make, step)
        saturated = phase(0.0, lambda n: n)
        thinking = phase(args.think, lambda n: max(1, n * args.think_rounds // args.rounds))

    base = saturated["healthz"]["per_s"]
    met = {}
    rows = []
    for label in ("auditor list", "API filing POST", "form filing POSTs"):
        ratio = saturated[label]["per_s"] / base
        met[f"{label}: throughput"] = ratio >= TARGET_THROUGHPUT_RATIO
        met[f"{label}: p95 with think time"] = thinking[label]["p95"] < TARGET_P95_MS
        rows.append((f"{label}, {args.clients} clients, no think time",
                     f"{saturated[label]['per_s']:.0f}/s (p50 {saturated[label]['p50']:.0f} ms, "
                     f"p95 {saturated[label]['p95']:.0f} ms, n={saturated[label]['n']})",
                     f"/healthz {base:.0f}/s (p95 {saturated['healthz']['p95']:.0f} ms)",
                     f"≥ {TARGET_THROUGHPUT_RATIO}×: {ratio:.2f}× "
                     f"{'met' if met[f'{label}: throughput'] else 'NOT met'}"))
        rows.append((f"{label}, {args.clients} clients, think {args.think:g} s",
                     f"p50 {thinking[label]['p50']:.0f} ms, p95 {thinking[label]['p95']:.0f} ms "
                     f"(n={thinking[label]['n']})",
                     f"/healthz p50 {thinking['healthz']['p50']:.0f} ms, p95 {thinking['healthz']['p95']:.0f} ms",
                     f"p95 < {TARGET_P95_MS} ms: {'met' if met[f'{label}: p95 with think time'] else 'NOT met'}"))
    for part in ("form: new draft", "form: save draft", "form: submit"):
        rows.append((f"{part}, think {args.think:g} s", f"p50 {thinking[part]['p50']:.0f} ms, "
                     f"p95 {thinking[part]['p95']:.0f} ms", "", ""))
    save_result("web", {"clients": args.clients, "rounds": args.rounds, "think_s": args.think,
                        "server": "sync" if args.sync else "deployed (3 gthread × 4 threads, pool 4)",
                        "saturated": saturated, "thinking": thinking, "met": met, "machine": machine()})
    report("Auditors' list and filing under 20 clients (gunicorn " + ("sync" if args.sync else "as deployed") + ")",
           rows)


if __name__ == "__main__":
    main()
