"""Shared by the benchmark scripts: Django set-up, timing, and a machine description for BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("The benchmarks run against PostgreSQL: set DATABASE_URL=postgres://... (e.g. a crs_bench database).")
    import django

    django.setup()


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")).split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split(" sha")[0]
    return (f"{os.cpu_count()} cores ({cpu}){memory}; Python {platform.python_version()}; {postgres}; {redis}")


@contextmanager
def timed():
    start = time.perf_counter()
    result = {"seconds": 0.0}
    yield result
    result["seconds"] = time.perf_counter() - start


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50": statistics.median(ordered), "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)],
            "max": ordered[-1], "n": len(ordered)}


def report(title: str, rows: list[tuple[str, str, str, str]]) -> None:
    """Print a Markdown table: figure, measured, baseline, target."""
    print(f"\n### {title}\n")
    print("| figure | measured | baseline (same run) | target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
