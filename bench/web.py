#!/usr/bin/env python3
"""The auditors' request list and filing (the portal's form and the API) under 20 concurrent clients, on gunicorn.

Both targets in one run, with the static health endpoint (/healthz) as the baseline of each:

1. no think time (each client sends its next request as soon as the previous answer arrives):
   the throughput of each path against /healthz's, target ≥ 0.15×. /healthz runs before each
   path and after the last, and each path's ratio is against the mean of the runs just before and
   just after it. This machine's speed drifts within minutes on its own, and not alike for every
   path (in one run /healthz ran at 2,010/s at the start, its fastest, and the paths after it at
   70–80 % of their rates in the two runs before): one baseline at the start charged that drift to
   the paths measured after it;
2. a think time per client (``--think``, mean 1 s, exponentially distributed, after each step):
   the p95 latency of each path, target < 100 ms.

gunicorn runs the product as docker-compose.yml deploys it (DEBUG off, 3 gthread processes of 4
threads, a pool of 4 database connections per process); ``--sync`` runs 2×cores+1 sync workers
instead, as the earlier figures did. Each client is a thread with its own keep-alive connection
and session; the clients are spread over ``--processes`` processes (4 by default) so that they do
not queue for one interpreter lock, which capped /healthz's baseline when all 20 shared one
process. A form filing is three POSTs: new draft, save the draft (an item, category, provisions,
justification) and go to review, submit. An API filing is one POST of /api/v1/requests/ with a
token. Screening is enqueued as usual; no worker runs here. The auditors' list is measured while
nothing is filed, so after each page's first view its answers come from the page cache; the
in-process figures give a page's cost when it is not cached.

Beside each figure it prints what holds on a loaded machine: the server's CPU per call (gunicorn's
processes, from /proc, over the phase), the load generator's own CPU per call, how the clients'
keep-alive connections were spread over gunicorn's processes (``Server.connections_by_process``:
an uneven spread moves a run's rate by up to half), and, measured first
in this process through Django's WSGI handler (no HTTP, best of three), the CPU per call of each
path, of the list when its page is not cached yet, and the queries of each. The load average at
start and end is printed with them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/web.py [--clients 20] [--rounds 15] [--think 1] [--processes 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import load  # noqa: E402
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
from bench.load import (  # noqa: E402
    Client,
    InProcess,
    Server,
    cpu_by_queries,
    cpu_per_call,
    location,
    reference_in,
    run_clients,
    timed,
)

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
    parser.add_argument("--processes", type=int, default=4, help="processes the clients are spread over")
    parser.add_argument("--cpu-calls", type=int, default=30, help="calls per run of the in-process CPU figures")
    parser.add_argument("--sync", action="store_true", help="sync workers (2×cores+1) instead of the deployed shape")
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    ensure_dataset()
    env = production_env()
    os.environ.update(env)  # the in-process figures run the product as gunicorn does
    setup_django()
    from django.db import connections

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

    def reporter_client(_number, kind=Client):
        client = kind()
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

    # --- CPU per call in this process (robust to the machine's load) ---
    in_process = {}
    days = iter(range(10**6))

    def fresh_page(client, _i):
        # A filter no call used before (every request is later than 2000): the page and its total are read
        # from the database, as the first view of a page after a change of the log is.
        day = date(2000, 1, 1) + timedelta(days=next(days))
        status, _, _ = client.request("GET", f"/api/v1/audit/requests/?submitted_after={day.isoformat()}")
        assert status == 200, status
        return []

    probes = [  # label, client, call, POSTs per call
        ("healthz", InProcess(), healthz, 1),
        ("auditor list, page not cached yet", InProcess(auditor), fresh_page, 1),
        ("API filing POST", InProcess(api_reporter), api_file, 1),
        ("form filing POSTs", reporter_client(0, InProcess), form_file, 3),
    ]
    for label, client, step, posts in probes:
        iteration = iter(range(10**9))
        ms, queries = cpu_per_call(lambda client=client, step=step, iteration=iteration: step(client, next(iteration)),
                                   calls=args.cpu_calls)
        in_process[label] = {"cpu_ms": ms / posts, "queries": queries}
    # A page's cache key holds the database's snapshot, which any commit on the server changes (this machine's
    # other databases included): the repeated page's calls are told apart by their queries, the fewest being
    # the answers from the cache.
    repeater = InProcess(auditor)
    by_queries = cpu_by_queries(lambda: audit_list(repeater, 0), calls=args.cpu_calls * 3)
    fewest = min(by_queries)
    in_process["auditor list, page cached"] = {
        "cpu_ms": statistics.median(by_queries[fewest]), "queries": fewest,
        "cached_share": len(by_queries[fewest]) / sum(len(v) for v in by_queries.values())}
    connections.close_all()  # the client processes are forked: none may share this process's connection

    paths = [  # label, client factory, step, GETs or filings per client in the saturating phase
        ("healthz", lambda n: Client(), healthz, args.rounds * 3),
        ("auditor list", lambda n: Client(auditor), audit_list, args.rounds * 3),
        ("API filing POST", lambda n: Client(api_reporter), api_file, args.rounds * 3),
        ("form filing POSTs", reporter_client, form_file, args.rounds),
    ]

    def measured(server: Server, path, think: float, scale) -> tuple[dict, dict]:
        """One path's figures (and those of each part of its calls) under the clients."""
        _label, make, step, per_client = path
        # Counted from when every client is logged in: a log-in's password hashing is not a filing's cost.
        cpu, spread = [], []
        # Read beside the clients, once the processes have accepted their connections: about 5 ms of CPU in
        # the phase. Started with the clients (the timing starts when ``on_start`` returns).
        reading = threading.Thread(target=lambda: (time.sleep(0.05), spread.extend(server.connections_by_process())))

        def on_start():
            cpu.append(server.cpu_seconds())
            reading.start()

        samples, seconds = run_clients(args.clients, scale(per_client), make, step, think, args.processes,
                                       on_start=on_start)
        reading.join()
        every = [ms for values in samples.values() for ms in values]
        parts = {part: percentiles(values) for part, values in samples.items()} if len(samples) > 1 else {}
        return {**percentiles(every), "per_s": len(every) / seconds,
                "server_cpu_ms": (server.cpu_seconds() - cpu[0]) / len(every) * 1000,
                "client_cpu_ms": load.last_client_cpu_s / len(every) * 1000, "connections": spread}, parts

    def phase(server: Server, think: float, scale) -> dict:
        figures = {}
        for path in paths:
            figures[path[0]], parts = measured(server, path, think, scale)
            figures.update(parts)
        return figures

    def saturating_phase(server: Server) -> dict:
        """Each path between two runs of /healthz; its ``baseline_per_s`` is their mean."""
        healthz_path, others = paths[0], paths[1:]
        baselines = [measured(server, healthz_path, 0.0, lambda n: n)[0]]
        figures = {}
        for path in others:
            figures[path[0]], parts = measured(server, path, 0.0, lambda n: n)
            figures.update(parts)
            baselines.append(measured(server, healthz_path, 0.0, lambda n: n)[0])
            figures[path[0]]["baseline_per_s"] = (baselines[-2]["per_s"] + baselines[-1]["per_s"]) / 2
        # /healthz's own figures are those of its first run; its other runs give the range.
        figures["healthz"] = {**baselines[0], "runs_per_s": [run["per_s"] for run in baselines],
                              "runs_connections": [run["connections"] for run in baselines]}
        return figures

    with Server(env, deployed=not args.sync) as server:
        # Warm every process up (imports, connections, templates) before measuring.
        for _label, make, step, _n in paths:
            run_clients(args.clients, 2, make, step, processes=args.processes)
        saturated = saturating_phase(server)
        thinking = phase(server, args.think, lambda n: max(1, n * args.think_rounds // args.rounds))
    load_at_end = os.getloadavg()

    met = {}
    rows = []

    def spread(connections: list[int]) -> str:
        return "/".join(map(str, connections)) or "?"

    def cpu(label: str) -> str:
        return (f"server CPU {saturated[label]['server_cpu_ms']:.1f} ms/call, "
                f"load generator {saturated[label]['client_cpu_ms']:.1f} ms/call, "
                f"connections per process {spread(saturated[label]['connections'])}")

    for label in ("auditor list", "API filing POST", "form filing POSTs"):
        base = saturated[label]["baseline_per_s"]
        ratio = saturated[label]["per_s"] / base
        met[f"{label}: throughput"] = ratio >= TARGET_THROUGHPUT_RATIO
        met[f"{label}: p95 with think time"] = thinking[label]["p95"] < TARGET_P95_MS
        rows.append((f"{label}, {args.clients} clients, no think time",
                     f"{saturated[label]['per_s']:.0f}/s (p50 {saturated[label]['p50']:.0f} ms, "
                     f"p95 {saturated[label]['p95']:.0f} ms, n={saturated[label]['n']}; {cpu(label)})",
                     f"/healthz {base:.0f}/s, the mean of its runs just before and after "
                     f"(p95 {saturated['healthz']['p95']:.0f} ms; {cpu('healthz')}, its first run)",
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
    healthz_cpu = in_process["healthz"]["cpu_ms"]
    for label, figure in in_process.items():
        per = "per POST" if label.startswith("form") else "per call"
        rows.append((f"in process: {label}", f"{figure['cpu_ms']:.2f} ms CPU {per}, {figure['queries']} queries"
                     + (" (the three POSTs)" if label.startswith("form") else "")
                     + (f" (median; {figure['cached_share']:.0%} of the calls were cached)"
                        if "cached_share" in figure else ""),
                     f"/healthz {healthz_cpu:.2f} ms CPU", f"{healthz_cpu / figure['cpu_ms']:.3f}× /healthz's cost"
                     if label != "healthz" else ""))
    runs = ", ".join(f"{rate:.0f}/s ({spread(connections)})" for rate, connections in zip(
        saturated["healthz"]["runs_per_s"], saturated["healthz"]["runs_connections"], strict=True))
    rows.append(("/healthz, 20 clients, no think time, each run", runs,
                 "before the list, API, form; after (connections per process)", ""))
    rows.append(("load average (1 min) at start, at end", f"{load_at_start[0]:.1f}, {load_at_end[0]:.1f}", "", ""))
    save_result("web", {"clients": args.clients, "rounds": args.rounds, "think_s": args.think,
                        "processes": args.processes,
                        "server": "sync" if args.sync else (f"gthread: {load.DEPLOYED_WORKERS} processes × "
                                                           f"{load.DEPLOYED_THREADS} threads, "
                                                           f"pool {load.DEPLOYED_POOL}"),
                        "saturated": saturated, "thinking": thinking, "in_process": in_process, "met": met,
                        "load_average": [load_at_start, load_at_end], "machine": machine()})
    report("Auditors' list and filing under 20 clients (gunicorn " + ("sync" if args.sync else
           f"{load.DEPLOYED_WORKERS} gthread processes × {load.DEPLOYED_THREADS} threads") + ")",
           rows)


if __name__ == "__main__":
    main()
