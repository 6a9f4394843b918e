#!/usr/bin/env python3
"""Screening throughput, in one run on a fresh database: single and bulk filings until routed, against a no-op task.

With the same broker (Redis) and the same worker processes, one after the other:

1. the no-op task's rate (one Redis INCR per task), the baseline;
2. single filings (``request_file``, from ``--filers`` concurrent client processes), filed → routed;
3. bulk filings (``requests_file_bulk``, 100 a call), filed → routed;
4. the SQL statements ``requests_screen`` issues for a batch of 100 requests (and for the same 100
   in the shares dispatch splits them into), per request; counted with django's CaptureQueriesContext.

Each rate is timed from the first filing (or enqueue) until the last request is routed (or task done);
the two ratios to the no-op rate are printed last (``RATIO ...`` lines). On a shared machine the rates
move with other people's load, so the CPU the worker processes and their PostgreSQL backends spent per
request is printed too (from /proc, between the first filing and the last request routed).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_screening_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/screening.py [--singles 600] [--bulk 2000] [--noops 2000] [--filers 4]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PYTHON, ROOT, database_url, machine, report, save_result, setup_django  # noqa: E402
from bench.workflow import noop_rate, start_workers, stop_workers, wait_until  # noqa: E402

BULK_CALL = 100
TARGETS = {"bulk": 0.5, "single": 0.25, "statements_per_request": 3.0}


def fresh_database() -> None:
    """Drop and create the database, migrate it and load the Kazakh scenario: every run starts alike."""
    url = database_url()
    name, server = url.rsplit("/", 1)[1], url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", server, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    for command in (["migrate", "-v0"], ["load_scenario", "kazakhstan-2021"]):
        subprocess.run([PYTHON, str(ROOT / "manage.py"), *command], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def inputs(count: int, seed: int):
    from filing.simulation import synthetic_requests

    return list(synthetic_requests(count=count, jurisdiction="KZ", seed=seed))


def until_routed(ids: list[int]) -> float:
    from reports.models import Status, TakedownRequest

    waiting = TakedownRequest.objects.filter(pk__in=ids, status__in=[Status.SUBMITTED, Status.SCREENING])
    return wait_until(lambda: not waiting.exists(), "screening")


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process, 0 when it has gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the worker's main process and its pool processes)."""
    found = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            for child in children.read().split():
                found += _tree(int(child))
    except OSError:
        pass
    return found


class CpuMeter:
    """CPU spent by the worker processes and by the PostgreSQL backends serving them, between two samples.

    The machine is shared, so wall-clock rates move with other people's load; CPU per request does
    much less. The backends counted are those of this database alive at the second sample other than
    this process's own: the workers' (they keep their connections between tasks); the filing clients'
    have gone by then (the bulk filings are made from this process, whose backend is left out).
    """

    def __init__(self, worker_pid: int):
        self.worker_pid = worker_pid

    def _backends(self) -> dict[int, float]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid()")
            return {pid: _cpu_seconds(pid) for (pid,) in cursor.fetchall()}

    def start(self) -> None:
        self.workers = {pid: _cpu_seconds(pid) for pid in _tree(self.worker_pid)}
        self.backends = self._backends()

    def stop(self) -> dict:
        workers = sum(_cpu_seconds(pid) - before for pid, before in self.workers.items())
        workers += sum(_cpu_seconds(pid) for pid in _tree(self.worker_pid) if pid not in self.workers)
        after = self._backends()
        # A worker's connection replaced meanwhile (CONN_MAX_AGE) counts from its start; the one it replaced
        # is lost, so the figure is a floor.
        backends = sum(spent - self.backends.get(pid, 0.0) for pid, spent in after.items())
        return {"worker_cpu_s": workers, "postgres_cpu_s": backends}


def _file_singles(filings: list[tuple]) -> list[int]:
    from filing.services import request_file

    return [request_file(reporter=reporter, data=data)[0].pk for reporter, data in filings]


def _filer_connect() -> None:
    from django.db import connection

    connection.ensure_connection()  # before the clock starts, as an agency's client is connected already


def _filer_started(_index: int) -> None:
    time.sleep(0.05)


def single_rate(count: int, seed: int, filers: int = 1, meter: CpuMeter | None = None) -> dict:
    """Single filings from ``filers`` concurrent clients (forked processes, one connection each), until routed.

    One client filing one request per transaction waits on a round trip per statement; agencies
    file concurrently, so the figure is taken with several clients, each with its share of the filings.
    """
    from django.db import connections

    filings = inputs(count, seed)
    if filers == 1:
        if meter:
            meter.start()
        start = time.perf_counter()
        ids = _file_singles(filings)
    else:
        connections.close_all()  # the children open their own; none shares this process's socket
        with multiprocessing.get_context("fork").Pool(filers, initializer=_filer_connect) as pool:
            pool.map(_filer_started, range(filers))  # the clients have started (each connects as it starts)
            if meter:
                meter.start()
            start = time.perf_counter()
            ids = [pk for share in pool.map(_file_singles, [filings[k::filers] for k in range(filers)]) for pk in share]
    filed = time.perf_counter()
    end = until_routed(ids)
    return {"requests": count, "filers": filers, "seconds": end - start, "filing_seconds": filed - start,
            "rate": count / (end - start), **_per_request(meter, count)}


def _per_request(meter: CpuMeter | None, count: int) -> dict:
    if meter is None:
        return {}
    spent = meter.stop()
    return {**spent, "worker_cpu_ms_per_request": spent["worker_cpu_s"] * 1000 / count,
            "postgres_cpu_ms_per_request": spent["postgres_cpu_s"] * 1000 / count}


def bulk_calls(count: int, seed: int) -> list[tuple]:
    """(reporter, up to 100 inputs) per call: one reporter files the whole Kazakh batch, as an agency's system would."""
    filings = inputs(count, seed)
    reporter = filings[0][0]
    datas = [data for _reporter, data in filings]
    return [(reporter, datas[start:start + BULK_CALL]) for start in range(0, len(datas), BULK_CALL)]


def bulk_rate(count: int, seed: int, meter: CpuMeter | None = None) -> dict:
    from filing.services import requests_file_bulk

    calls = bulk_calls(count, seed)
    if meter:
        meter.start()
    start = time.perf_counter()
    ids = [request.pk for reporter, batch in calls for request, _ in requests_file_bulk(reporter=reporter, batch=batch)]
    filed = time.perf_counter()
    end = until_routed(ids)
    return {"requests": len(ids), "seconds": end - start, "filing_seconds": filed - start,
            "rate": len(ids) / (end - start), **_per_request(meter, len(ids))}


def statements_per_request(seed: int) -> dict:
    """Statements ``requests_screen`` issues for 100 requests: as one batch, and as dispatch's shares of it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from filing.services import requests_file_bulk
    from review import dispatch
    from review.services import requests_screen

    counted = {}
    for label, offset in (("one batch of 100", 0), ("dispatch's shares of 100", 1)):
        reporter, batch = bulk_calls(BULK_CALL, seed + offset)[0]
        # Screened here, counted:
        with mock.patch.object(dispatch, "screening_enqueue", lambda request_ids, **_options: None):
            ids = [request.pk for request, _ in requests_file_bulk(reporter=reporter, batch=batch)]
        shares = [ids] if offset == 0 else dispatch.screening_shares(ids)
        with CaptureQueriesContext(connection) as queries:
            routed = sum(len(requests_screen(request_ids=share)) for share in shares)
        assert routed == len(ids), f"{routed} of {len(ids)} routed"
        counted[label] = {"statements": len(queries), "per_request": len(queries) / len(ids), "shares": len(shares)}
    return counted


def profile_batch(seed: int) -> None:
    """Where a batch of 100 spends its time: SQL execution against everything else (cProfile, after a warm-up batch)."""
    import cProfile
    import pstats

    from django.db import connection

    from filing.services import requests_file_bulk
    from review import dispatch
    from review.services import requests_screen

    for attempt in range(2):  # the first batch pays for imports and compiled rules
        reporter, batch = bulk_calls(BULK_CALL, seed + attempt)[0]
        with mock.patch.object(dispatch, "screening_enqueue", lambda request_ids, **_options: None):
            ids = [request.pk for request, _ in requests_file_bulk(reporter=reporter, batch=batch)]
        sql: list[tuple[float, str]] = []

        def timed_sql(execute, statement, params, many, context, sql=sql):
            start = time.perf_counter()
            try:
                return execute(statement, params, many, context)
            finally:
                sql.append((time.perf_counter() - start, statement[:60]))

        profiler = cProfile.Profile()
        start = time.perf_counter()
        with connection.execute_wrapper(timed_sql):
            profiler.enable()
            requests_screen(request_ids=ids)
            profiler.disable()
        wall = time.perf_counter() - start
    print(f"requests_screen of {len(ids)}: {wall * 1000:.0f} ms under the profiler, "
          f"SQL {sum(t for t, _ in sql) * 1000:.0f} ms in {len(sql)} statements")
    for seconds, statement in sorted(sql, reverse=True)[:5]:
        print(f"  {seconds * 1000:6.1f} ms  {statement}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def _backend_cpu() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return _cpu_seconds(cursor.fetchone()[0])


def cpu_per_request(seed: int, calls: int = 6) -> dict:
    """CPU per request in this process and its PostgreSQL backend, without Celery: ``requests_screen`` on
    bulk filings in shares of 100, 50 and 1, and a single filing's claim (``submitted_requests_screen``)."""
    from filing.services import request_file, requests_file_bulk
    from review import dispatch
    from review.services import requests_screen, submitted_requests_screen

    measured = {}
    # Screened here, measured: nothing is sent to the workers.
    with mock.patch.object(dispatch, "screening_enqueue", lambda request_ids, **_options: None), \
            mock.patch.object(dispatch, "current_app"):
        for share in (100, 50, 1):
            batches = [[request.pk for request, _ in requests_file_bulk(reporter=reporter, batch=batch)]
                       for reporter, batch in bulk_calls(BULK_CALL * (calls + 1), seed + share)]
            requests_screen(request_ids=batches.pop())  # warm-up
            own, backend = time.process_time(), _backend_cpu()
            for ids in batches:
                for start in range(0, len(ids), share):
                    requests_screen(request_ids=ids[start:start + share])
            count = sum(map(len, batches))
            measured[f"requests_screen, shares of {share}"] = {
                "worker_cpu_ms": (time.process_time() - own) * 1000 / count,
                "postgres_cpu_ms": (_backend_cpu() - backend) * 1000 / count}
        filings = inputs(200, seed + 7)
        filing = claim = filing_pg = claim_pg = 0.0
        for reporter, data in filings:
            own, backend = time.process_time(), _backend_cpu()
            pk = request_file(reporter=reporter, data=data)[0].pk
            filed, filed_backend = time.process_time(), _backend_cpu()
            submitted_requests_screen(request_id=pk)
            filing, filing_pg = filing + filed - own, filing_pg + filed_backend - backend
            claim, claim_pg = claim + time.process_time() - filed, claim_pg + _backend_cpu() - filed_backend
        measured["a single filing (request_file)"] = {"worker_cpu_ms": filing * 1000 / len(filings),
                                                      "postgres_cpu_ms": filing_pg * 1000 / len(filings)}
        measured["its claim, screened by the claiming task"] = {"worker_cpu_ms": claim * 1000 / len(filings),
                                                                "postgres_cpu_ms": claim_pg * 1000 / len(filings)}
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--singles", type=int, default=600)
    parser.add_argument("--bulk", type=int, default=2000)
    parser.add_argument("--noops", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (prefork pool)")
    parser.add_argument("--filers", type=int, default=4, help="concurrent clients filing the single filings")
    parser.add_argument("--keep-database", action="store_true", help="reuse the database instead of a fresh one")
    parser.add_argument("--profile", action="store_true", help="only profile one batch of 100, in this process")
    parser.add_argument("--cpu", action="store_true",
                        help="only measure CPU per request in this process (no Celery): batches, a filing, its claim")
    args = parser.parse_args()

    if not args.keep_database:
        fresh_database()
    setup_django()
    import redis

    from bench.worker import NOOP_DONE_KEY, noop
    from review.rules import active_ruleset

    active_ruleset()
    if args.profile:
        profile_batch(int(time.time()))
        return
    if args.cpu:
        measured = cpu_per_request(int(time.time()))
        save_result("screening_cpu", {"cpu_per_request": measured, "load_average": os.getloadavg(),
                                      "machine": machine()})
        report("CPU per request, in one process (no Celery)", [
            (label, f"{entry['worker_cpu_ms']:.2f} ms", f"PostgreSQL backend {entry['postgres_cpu_ms']:.2f} ms", "—")
            for label, entry in measured.items()])
        print(f"load average {os.getloadavg()[0]:.2f}; {machine()}")
        return
    load_before = os.getloadavg()
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.delete(os.environ["CRS_TASK_QUEUE"])  # anything left by an earlier, interrupted run
    seed = int(time.time())
    statements = statements_per_request(seed)
    workers = start_workers(args.concurrency)
    try:
        broker.set(NOOP_DONE_KEY, 0)
        noop.delay(0)
        wait_until(lambda: int(broker.get(NOOP_DONE_KEY) or 0) >= 1, "the workers to start")
        noop_rate(200, broker)  # warm-up: every pool process has connected
        single_rate(20, seed + 2, args.filers)  # warm-up: connections, rules compiled
        bulk_rate(200, seed + 3)
        meter = CpuMeter(workers.pid)
        meter.start()
        baseline = noop_rate(args.noops, broker)
        noop_cpu = _per_request(meter, args.noops)
        single = single_rate(args.singles, seed + 4, args.filers, meter)
        bulk = bulk_rate(args.bulk, seed + 5, meter)
        baseline_after = noop_rate(args.noops, broker)
    finally:
        stop_workers(workers)
    load_after = os.getloadavg()

    ratios = {"single": single["rate"] / baseline, "bulk": bulk["rate"] / baseline}
    per_request = statements["one batch of 100"]["per_request"]
    met = {"single": ratios["single"] >= TARGETS["single"], "bulk": ratios["bulk"] >= TARGETS["bulk"],
           "statements_per_request": per_request <= TARGETS["statements_per_request"]}
    result = {"baseline_noop_per_s": baseline, "baseline_noop_after_per_s": baseline_after, "noop_cpu": noop_cpu,
              "single": single,
              "bulk": bulk, "ratios": ratios, "statements": statements, "targets": TARGETS, "met": met,
              "concurrency": args.concurrency, "filers": args.filers,
              "load_average_before": load_before, "load_average_after": load_after,
              "machine": machine()}
    save_result("screening", result)

    def verdict(name: str) -> str:
        return "met" if met[name] else "NOT met"

    def cpu(entry: dict) -> str:
        return (f"worker CPU {entry['worker_cpu_ms_per_request']:.1f} ms, PostgreSQL (workers' backends) "
                f"{entry['postgres_cpu_ms_per_request']:.1f} ms")

    report(f"Screening throughput ({args.concurrency} worker processes, one run)", [
        (f"single filings ({args.filers} filing client(s)), filed → routed",
         f"{single['rate']:.0f}/s ({single['requests']} in {single['seconds']:.1f} s; filing alone "
         f"{single['filing_seconds']:.1f} s)", f"no-op task {baseline:.0f}/s "
         f"({baseline_after:.0f}/s after)", f"≥ {TARGETS['single']}×: {ratios['single']:.2f}× {verdict('single')}"),
        (f"bulk filings ({BULK_CALL} a call), filed → routed", f"{bulk['rate']:.0f}/s ({bulk['requests']} in "
         f"{bulk['seconds']:.1f} s; filing alone {bulk['filing_seconds']:.1f} s)", f"no-op task {baseline:.0f}/s",
         f"≥ {TARGETS['bulk']}×: {ratios['bulk']:.2f}× {verdict('bulk')}"),
        ("CPU per request, single filings (claim and screening)", cpu(single),
         f"no-op task: worker CPU {noop_cpu['worker_cpu_ms_per_request']:.1f} ms", "—"),
        ("CPU per request, bulk filings (screening)", cpu(bulk), "—", "—"),
        *[(f"SQL statements per request, {label}", f"{entry['per_request']:.2f} ({entry['statements']} for 100 in "
           f"{entry['shares']} task(s))", "—", f"≤ {TARGETS['statements_per_request']:.0f}: "
           + ("met" if entry["per_request"] <= TARGETS["statements_per_request"] else "NOT met"))
          for label, entry in statements.items()],
    ])
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; {machine()}")
    print(f"\nRATIO single filings: {ratios['single']:.2f}x the no-op rate ({single['rate']:.1f}/s against "
          f"{baseline:.0f}/s; {single['rate'] / baseline_after:.2f}x against the no-op after) — target "
          f">= {TARGETS['single']}x: {verdict('single')}")
    print(f"RATIO bulk filings:   {ratios['bulk']:.2f}x the no-op rate ({bulk['rate']:.1f}/s against "
          f"{baseline:.0f}/s; {bulk['rate'] / baseline_after:.2f}x against the no-op after) — target "
          f">= {TARGETS['bulk']}x: {verdict('bulk')}")


if __name__ == "__main__":
    main()
