#!/usr/bin/env python3
"""Log sealing: events sealed into the Merkle log per second, against the workflow's own event production.

The generated requests' events are not in the log yet (they were copied in, not written through
the services): this script queues ``--events`` of them as pending, as the workflow would have,
and times the sequencer (audit.log.log_seal, in batches of CRS_LOG_BATCH) sealing them all.
The production rate is the events per second of bench/workflow.py at full throughput, from the
same run (bench/run_all.py runs it first); run that script first when running this one alone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/sealing.py [--events 50000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ensure_dataset, load_result, machine, report, save_result, setup_django  # noqa: E402

TARGET_RATIO = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    workflow = load_result("workflow")
    if workflow is None:
        sys.exit("Run bench/workflow.py first: its event production is this figure's baseline.")
    ensure_dataset()
    setup_django()
    from django.conf import settings
    from django.db import connection

    from audit.log import log_seal_all, tree_size

    log_seal_all()  # whatever the workflow left pending: not part of the measurement
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO audit_pendingseal (event_id)
            SELECT e.id FROM audit_auditevent e
            WHERE NOT EXISTS (SELECT 1 FROM audit_logentry l WHERE l.event_id = e.id)
            ORDER BY e.id LIMIT %s""", [args.events])
        queued = cursor.rowcount
    before = tree_size()
    start = time.perf_counter()
    log_seal_all()
    seconds = time.perf_counter() - start
    sealed = tree_size() - before
    assert sealed == queued, (sealed, queued)
    rate = sealed / seconds
    production = workflow["events_per_second"]
    ratio = rate / production
    save_result("sealing", {"events": sealed, "seconds": seconds, "rate": rate, "batch": settings.CRS_LOG_BATCH,
                            "tree_size": tree_size(), "production_events_per_s": production,
                            "production_measured_at": workflow["measured_at"], "ratio": ratio,
                            "met": ratio >= TARGET_RATIO, "machine": machine()})
    report("Log sealing", [
        (f"events sealed ({sealed:,}, batches of {settings.CRS_LOG_BATCH:,})", f"{rate:,.0f} events/s",
         f"workflow produces {production:,.0f} events/s ({workflow['rate']:.1f} requests/s)",
         f"≥ {TARGET_RATIO}× production: {ratio:.0f}× {'met' if ratio >= TARGET_RATIO else 'NOT met'}"),
    ])


if __name__ == "__main__":
    main()
