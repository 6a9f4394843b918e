#!/usr/bin/env python3
"""Workflow throughput: requests filed through the filing service until all are routed, with real workers.

Baseline in the same run: a no-op Celery task's throughput on the same broker (Redis) and the
same worker processes. Both are timed from the first enqueue (or filing) to the last task done.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/workflow.py [--requests 400] [--noops 2000] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, ensure_dataset, machine, report, save_result, setup_django  # noqa: E402

TIMEOUT_S = 600


def start_workers(concurrency: int) -> subprocess.Popen:
    celery = str(Path(sys.executable).with_name("celery"))
    return subprocess.Popen(
        [celery, "-A", "bench.worker", "worker", "-Q", os.environ["CRS_TASK_QUEUE"], "-c", str(concurrency),
         "-P", "prefork", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL,
        # One log per queue: several installations benchmark on one machine.
        stderr=open(f"/tmp/crs-bench-worker-{os.environ['CRS_TASK_QUEUE']}.log", "w"),  # noqa: SIM115,S108
        start_new_session=True)


def stop_workers(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def wait_until(done, what: str) -> float:
    deadline = time.monotonic() + TIMEOUT_S
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)
    return time.perf_counter()


def noop_rate(count: int, broker) -> float:
    from bench.worker import NOOP_DONE_KEY, noop

    broker.set(NOOP_DONE_KEY, 0)
    start = time.perf_counter()
    for number in range(count):
        noop.delay(number)
    end = wait_until(lambda: int(broker.get(NOOP_DONE_KEY) or 0) >= count, "the no-op tasks")
    return count / (end - start)


def workflow_rate(count: int, seed: int) -> dict:
    from audit.models import AuditEvent
    from filing.services import request_file
    from filing.simulation import synthetic_requests
    from reports.models import Status, TakedownRequest

    inputs = list(synthetic_requests(count=count, seed=seed))
    start = time.perf_counter()
    ids = [request_file(reporter=reporter, data=data)[0].pk for reporter, data in inputs]
    filed = time.perf_counter()
    waiting = TakedownRequest.objects.filter(pk__in=ids, status__in=[Status.SUBMITTED, Status.SCREENING])
    end = wait_until(lambda: not waiting.exists(), "screening")
    events = AuditEvent.objects.filter(request_id__in=ids).count()
    return {"requests": count, "seconds": end - start, "filing_seconds": filed - start,
            "rate": count / (end - start), "events": events, "events_per_second": events / (end - start)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--noops", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (prefork pool)")
    args = parser.parse_args()

    ensure_dataset()
    setup_django()
    import redis

    from bench.worker import noop
    from review.rules import active_ruleset

    active_ruleset()
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.delete(os.environ["CRS_TASK_QUEUE"])  # anything left by an earlier, interrupted run
    workers = start_workers(args.concurrency)
    try:
        from bench.worker import NOOP_DONE_KEY

        broker.set(NOOP_DONE_KEY, 0)
        noop.delay(0)
        wait_until(lambda: int(broker.get(NOOP_DONE_KEY) or 0) >= 1, "the workers to start")
        noop_rate(200, broker)  # warm-up: every pool process has connected
        workflow_rate(20, seed=int(time.time()))  # warm-up: connections, rules compiled
        baseline = noop_rate(args.noops, broker)
        measured = workflow_rate(args.requests, seed=int(time.time()) + 1)
    finally:
        stop_workers(workers)

    ratio = measured["rate"] / baseline
    result = {"baseline_noop_per_s": baseline, **measured, "ratio": ratio, "concurrency": args.concurrency,
              "target_ratio": 0.5, "met": ratio >= 0.5, "machine": machine()}
    save_result("workflow", result)
    report("Workflow throughput", [
        ("requests filed until routed", f"{measured['rate']:.1f}/s ({measured['requests']} in "
                                        f"{measured['seconds']:.1f} s; {measured['events_per_second']:.0f} events/s)",
         f"no-op task {baseline:.0f}/s", f"≥ 0.5× baseline: {ratio:.3f}× {'met' if ratio >= 0.5 else 'NOT met'}"),
    ])


if __name__ == "__main__":
    main()
