#!/usr/bin/env python3
"""Run every benchmark of BENCHMARKS.md, one after the other, each in its own process.

The data is generated once (bench/datagen.py, a million requests) and reused by every later run.
The workflow runs before the sealing benchmark, whose baseline is the workflow's event production.
Results are kept as JSON in bench/results/.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        CRS_TASK_QUEUE=bench python3 bench/run_all.py [--only workflow,sealing]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PYTHON, ROOT, ensure_dataset, machine  # noqa: E402

ORDER = ("workflow", "sealing", "export", "queue_page", "transparency", "bulk", "web")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(ORDER), help="comma-separated: " + ", ".join(ORDER))
    args = parser.parse_args()
    chosen = [name for name in ORDER if name in args.only.split(",")]
    ensure_dataset()
    print(f"Machine: {machine()}", flush=True)
    failed = []
    for name in chosen:
        print(f"\n== {name} ==", flush=True)
        if subprocess.run([PYTHON, str(ROOT / "bench" / f"{name}.py")], cwd=ROOT).returncode != 0:
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
