"""The Celery app the benchmark's workers run: the product's tasks, plus a no-op task for the baseline.

    celery -A bench.worker worker -Q bench
"""

from __future__ import annotations

import os

import redis

from config.celery import app

NOOP_DONE_KEY = "crs-bench:noop-done"
_redis: redis.Redis | None = None


@app.task(name="bench.noop", acks_late=True, ignore_result=True)
def noop(number: int) -> None:
    # The least a task can do and still be counted: one INCR on the broker's Redis.
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(os.environ["REDIS_URL"])
    _redis.incr(NOOP_DONE_KEY)
