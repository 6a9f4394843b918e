#!/usr/bin/env python3
"""Serving the log as tiles: a hash tile at a million events, from the stored tree and from the site's cache.

Builds (once) a log of ``--events`` leaves straight in PostgreSQL, as the sequencer would have
stored it: events with canonical bytes, their LogEntry leaf hashes (sha256 in SQL) and every
complete subtree in TreeNode, level by level (INSERT ... SELECT, no Python per row), then a
checkpoint signed over the root. Then it times GET /log/tile/<L>/<N> in-process through the
test client with DEBUG off: full tiles at levels 0, 1 and 2 read from the stored tree (the
site's cache cleared before each), the same tiles served from the cache, and the partial
tile at the right edge. Target: under 20 ms a tile.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crs_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        python3 bench/tiles.py [--events 1000000] [--loads 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, save_result, setup_django  # noqa: E402

TARGET_MS = 20


def build(events: int) -> float:
    """The stored tree of ``events`` leaves; returns the seconds it took (0 when already there)."""
    from django.db import connection, transaction

    from audit import log, merkle
    from audit.log import Nodes, tree_size

    if tree_size() >= events:
        return 0.0
    if tree_size():
        sys.exit(f"The log holds {tree_size()} events: use an empty database or --events ≤ that.")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO audit_auditevent (uid, event_type, actor_role, created_at, payload, canonical)
            SELECT gen_random_uuid(), 'bench_tile', 'system', now(), '{}'::jsonb,
                   convert_to('{"n":' || n || ',"type":"bench_tile"}', 'UTF8')
            FROM generate_series(0, %s - 1) AS n""", [events])
        cursor.execute("""
            INSERT INTO audit_logentry ("index", event_id, leaf_hash, sealed_at)
            SELECT row_number() OVER (ORDER BY id) - 1, id, sha256('\\x00'::bytea || canonical), now()
            FROM audit_auditevent WHERE event_type = 'bench_tile'""")
        cursor.execute("""
            INSERT INTO audit_treenode (level, "index", hash)
            SELECT 1, l."index" / 2, sha256('\\x01'::bytea || l.leaf_hash || r.leaf_hash)
            FROM audit_logentry l JOIN audit_logentry r ON r."index" = l."index" + 1
            WHERE mod(l."index", 2) = 0""")
        level = 1
        while events >> (level + 1):
            cursor.execute("""
                INSERT INTO audit_treenode (level, "index", hash)
                SELECT %s, l."index" / 2, sha256('\\x01'::bytea || l.hash || r.hash)
                FROM audit_treenode l JOIN audit_treenode r
                  ON r.level = l.level AND r."index" = l."index" + 1
                WHERE l.level = %s AND l."index" %% 2 = 0""", [level + 1, level])
            level += 1
        nodes = Nodes()
        root = merkle.root_from_perfect([h for *_, h in log._frontier(events, nodes)])
        log._sign_checkpoint(events, root)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_logentry; ANALYZE audit_treenode")
    return time.perf_counter() - start


def timings(client, path: str, loads: int, clear: bool) -> list[float]:
    from django.core.cache import cache

    samples = []
    for _ in range(loads):
        if clear:
            cache.clear()
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=50)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.test import Client

    from audit.log import tree_size
    from audit.tiles import tile_index_path

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    built = build(args.events)
    size = tree_size()
    client = Client()
    middle = size // 2
    paths = {f"level 0, full (leaves from {middle // 256 * 256})": f"/log/tile/0/{tile_index_path(middle // 256)}",
             "level 1, full": f"/log/tile/1/{tile_index_path(middle // 65536)}",
             "level 2, partial (the right edge)": f"/log/tile/2/000.p/{size >> 16}",
             "level 0, partial (the right edge)": f"/log/tile/0/{tile_index_path(size // 256)}.p/{size % 256}"
             if size % 256 else f"/log/tile/0/{tile_index_path(size // 256 - 1)}"}
    rows = {}
    for name, path in paths.items():
        stored = timings(client, path, args.loads, clear=True)
        cached = timings(client, path, args.loads, clear=False)
        rows[name] = {"path": path, "stored_p50_ms": statistics.median(stored),
                      "stored_p95_ms": statistics.quantiles(stored, n=20)[18],
                      "cached_p50_ms": statistics.median(cached),
                      "cached_p95_ms": statistics.quantiles(cached, n=20)[18]}
    save_result("tiles", {"tree_size": size, "build_seconds": built, "loads": args.loads, "tiles": rows,
                          "machine": machine()})
    print(f"\n### Tiles at {size:,} events (built in {built:.0f} s; {args.loads} loads each)\n")
    print("| tile | path | from the stored tree p50 / p95 | cached p50 / p95 | target |")
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | `{row['path']}` | {row['stored_p50_ms']:.1f} / {row['stored_p95_ms']:.1f} ms | "
              f"{row['cached_p50_ms']:.2f} / {row['cached_p95_ms']:.2f} ms | < {TARGET_MS} ms |")
    print(f"\n{machine()}")


if __name__ == "__main__":
    main()
