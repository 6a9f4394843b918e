"""Shared by the benchmark scripts: Django set-up, timing, and a machine description for BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
DATASET_REQUESTS = 1_000_000
SMALL_REQUESTS = 1_000

# The benchmarks send no mail and keep their queue apart from other installations on the same Redis.
os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("CRS_TASK_QUEUE", "bench")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("The benchmarks run against PostgreSQL: set DATABASE_URL=postgres://... (e.g. a crs_bench database).")
    import django

    django.setup()


def database_url(name: str | None = None) -> str:
    """DATABASE_URL, or the same server with another database name."""
    url = os.environ["DATABASE_URL"]
    if name is None:
        return url
    return url.rsplit("/", 1)[0] + "/" + name


def filed_requests(url: str | None = None) -> int:
    """Requests in the database (0 when it or its tables do not exist yet), by psql so Django need not be set up."""
    result = subprocess.run(["psql", url or database_url(), "-tAc", "SELECT count(*) FROM reports_takedownrequest"],
                            capture_output=True, text=True)
    return int(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip().isdigit() else 0


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(["psql", server, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                            capture_output=True, text=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)


def ensure_dataset(minimum: int = DATASET_REQUESTS, url: str | None = None) -> int:
    """Generate requests with bench/datagen.py until the database holds ``minimum``; reuse what is there."""
    url = url or database_url()
    ensure_database(url)
    have = filed_requests(url)
    if os.environ.get("CRS_BENCH_NO_DATAGEN") == "1":  # while a generator is still running, say
        return have
    if have < minimum:
        print(f"{url.rsplit('/', 1)[1]} holds {have:,} requests; generating {minimum - have:,} more ...", flush=True)
        subprocess.run([PYTHON, str(ROOT / "bench" / "datagen.py"), "--requests", str(minimum - have)],
                       env={**os.environ, "DATABASE_URL": url}, check=True, stdout=subprocess.DEVNULL)
        have = filed_requests(url)
    else:
        # Migrations added since the data was generated (indexes) apply to the existing rows.
        subprocess.run([PYTHON, str(ROOT / "manage.py"), "migrate", "-v0"], env={**os.environ, "DATABASE_URL": url},
                       check=True)
    return have


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_json(args: list[str], env: dict | None = None) -> dict:
    """Run a bench script in a fresh process; its last line of output is a JSON document."""
    result = subprocess.run([PYTHON, *args], env={**os.environ, **(env or {})}, capture_output=True, text=True,
                            cwd=ROOT)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"{' '.join(args)} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def save_result(name: str, data: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    data = {**data, "measured_at": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())}
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")


def load_result(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


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


def sample_ms(function, repeat: int) -> list[float]:
    """Milliseconds each of ``repeat`` calls of ``function`` took."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


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


def page_timings(client, urls: dict[str, str], loads: int) -> dict:
    """For each page: p50/p95 over ``loads`` loads after three warm-ups, and one load's query count."""
    from django.db import connection

    results = {}
    for name, url in urls.items():
        for _ in range(3):
            assert client.get(url).status_code == 200
        queries: list[str] = []

        def count(execute, sql, *args, seen=queries):
            seen.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            client.get(url)
        responses: list = []
        samples = sample_ms(lambda url=url, responses=responses: responses.append(client.get(url)), loads)
        assert {response.status_code for response in responses} == {200}
        results[name] = {**percentiles(samples), "queries": len(queries)}
    return results


def compare_pages(script: str, urls: dict[str, str], loads: int, target_p95_ms: float,
                  describe=lambda run: f"{run['requests']:,} requests") -> tuple[list[tuple], bool, dict, dict]:
    """Run ``script --one`` over the thousand-request database and the million one; rows for ``report``."""
    ensure_dataset()
    small_url = database_url(database_url().rsplit("/", 1)[1] + "_1k")
    ensure_dataset(SMALL_REQUESTS, small_url)
    env = production_env()
    small = run_json([script, "--one", "--loads", str(loads)], env={**env, "DATABASE_URL": small_url})
    large = run_json([script, "--one", "--loads", str(loads)], env=env)
    rows, met = [], True
    for name in urls:
        big, base = large[name], small[name]
        ok = big["p95"] < target_p95_ms and big["queries"] == base["queries"]
        met &= ok
        rows.append((f"{name}, {describe(large)}",
                     f"p50 {big['p50']:.0f} ms, p95 {big['p95']:.0f} ms, {big['queries']} queries",
                     f"{describe(small)}: p50 {base['p50']:.0f} ms, p95 {base['p95']:.0f} ms, "
                     f"{base['queries']} queries",
                     f"p95 < {target_p95_ms} ms, same queries: {'met' if ok else 'NOT met'}"))
    return rows, met, large, small


def production_env() -> dict:
    """Environment for measuring pages as deployed: DEBUG off, collected static files, local hosts.

    Throttling is raised out of the way: the benchmark's clients share one account each, which
    the per-account limit (CRS_API_RATE_USER) would otherwise slow down on purpose.
    """
    static_root = RESULTS / "static"
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_STATIC_ROOT": str(static_root),
        "CRS_API_RATE_USER": "1000000/min",
        "CRS_API_RATE_ANON": "1000000/min",
    }
    if not (static_root / "staticfiles.json").exists():
        subprocess.run([PYTHON, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
                       env={**os.environ, **env}, check=True)
    return env


def page_bench_main(script: str, title: str, result_name: str, urls: dict[str, str], target_p95_ms: float, run_one,
                    describe=None) -> None:
    """The command line of a page benchmark: ``--one`` measures one database; without it, both are compared."""
    parser = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=40)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.loads)))
        return
    rows, met, large, small = compare_pages(script, urls, args.loads, target_p95_ms,
                                            **({"describe": describe} if describe else {}))
    save_result(result_name, {"large": large, "small": small, "met": met, "machine": machine()})
    report(title, rows)
