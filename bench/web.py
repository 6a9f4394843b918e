#!/usr/bin/env python3
"""Filing through the web form and the auditors' request list under 20 concurrent clients, on gunicorn.

Baseline in the same run: the static health endpoint (/healthz) under the same load. Each client
is a thread with its own keep-alive connection and session, sending its next request as soon as
the previous answer arrives (no think time: the harshest case for 20 people at once). gunicorn
runs the product as deployed (DEBUG off) with 2×cores+1 sync workers.

A filing is the web form's three POSTs: new draft, save the draft (an item, category, provisions,
justification) and go to review, submit. Screening is enqueued as usual; no worker runs here.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/web.py [--clients 20] [--rounds 15]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=15, help="filings (and 3× as many GETs) per client")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause of each client between requests, in seconds (0: none, saturating)")
    args = parser.parse_args()
    ensure_dataset()
    env = production_env()
    setup_django()
    accounts = bench_accounts()
    auditor = {"Authorization": f"Token {accounts.auditor_token}"}

    def healthz(client, _i):
        ms, status, _, _ = timed(client, "GET", "/healthz")
        assert status == 200, status
        return [("healthz", ms)]

    def audit_list(client, _i):
        ms, status, _, _ = timed(client, "GET", "/api/v1/audit/requests/")
        assert status == 200, status
        return [("auditor list", ms)]

    def reporter_client(_number):
        client = Client()
        client.login(accounts.reporter, PASSWORD)
        return client

    def file_one(client, iteration):
        content = accounts.content_ids[(iteration * 7 + len(client.cookies)) % len(accounts.content_ids)]
        ms_new, status, _, response = timed(client, "FORM", "/portal/requests/new/", fields=[])
        assert status == 302, status
        reference = reference_in(location(response))
        fields = [("category", accounts.category), *(("legal_basis", code) for code in accounts.provisions),
                  ("requested_action", "restrict_in_jurisdiction"), ("urgency", "standard"),
                  ("justification", "The post is unlawful under the cited provision; see the attached analysis."),
                  ("add_item", content), ("evidence_kind", "supporting"), ("action", "review")]
        ms_save, status, body, _ = timed(client, "FORM", f"/portal/requests/{reference}/edit/", fields=fields)
        assert status == 302, (status, body[:2000])
        ms_submit, status, body, _ = timed(client, "FORM", f"/portal/requests/{reference}/submit/", fields=[])
        assert status == 302, (status, body[:2000])
        return [("filing: new draft", ms_new), ("filing: save draft", ms_save), ("filing: submit", ms_submit)]

    with Server(env):
        # Warm every worker up (imports, connections, templates) before measuring.
        run_clients(args.clients, 3, lambda n: Client(), healthz)
        run_clients(args.clients, 2, lambda n: Client(auditor), audit_list)
        run_clients(4, 2, reporter_client, file_one)

        health, health_s = run_clients(args.clients, args.rounds * 3, lambda n: Client(), healthz, args.think)
        listing, listing_s = run_clients(args.clients, args.rounds * 3, lambda n: Client(auditor), audit_list,
                                         args.think)
        filing, filing_s = run_clients(args.clients, args.rounds, reporter_client, file_one, args.think)

    figures = {"healthz": percentiles(health["healthz"]), "auditor list": percentiles(listing["auditor list"])}
    figures["healthz"]["per_s"] = len(health["healthz"]) / health_s
    figures["auditor list"]["per_s"] = len(listing["auditor list"]) / listing_s
    posts = [ms for label, values in filing.items() for ms in values]
    figures["filing (all POSTs)"] = {**percentiles(posts), "per_s": len(posts) / filing_s}
    for label, values in filing.items():
        figures[label] = percentiles(values)
    met = figures["filing (all POSTs)"]["p95"] < TARGET_P95_MS and figures["auditor list"]["p95"] < TARGET_P95_MS
    name = "web" if not args.think else f"web-think-{args.think:g}s"
    save_result(name, {"clients": args.clients, "rounds": args.rounds, "think_s": args.think, "figures": figures,
                       "met": met, "machine": machine()})
    base = figures["healthz"]
    rows = []
    for label, values in figures.items():
        if label == "healthz":
            continue
        rows.append((f"{label}, {args.clients} clients" + (f", think {args.think:g} s" if args.think else ""),
                     f"p50 {values['p50']:.0f} ms, p95 {values['p95']:.0f} ms (n={values['n']})",
                     f"/healthz p50 {base['p50']:.0f} ms, p95 {base['p95']:.0f} ms ({base['per_s']:.0f}/s)",
                     f"p95 < {TARGET_P95_MS} ms: {'met' if values['p95'] < TARGET_P95_MS else 'NOT met'}"))
    report("Web form filing and auditor list under load", rows)


if __name__ == "__main__":
    main()
