"""The shared cache answers from the process's memory while Redis is unreachable, and says so once."""

from __future__ import annotations

import logging
import os

import pytest

from config.cache import FailOpenRedisCache
from config.env import cache_from_env
from reports import throttling
from tests.processes import free_port


def cache_at(url: str) -> FailOpenRedisCache:
    config = cache_from_env(url.rsplit("/", 1)[0] + "/0")
    assert config["BACKEND"] == "config.cache.FailOpenRedisCache"
    return FailOpenRedisCache(url, {**config, "KEY_PREFIX": f"test-{os.getpid()}"})


def test_with_redis_unreachable_counters_still_count_in_memory_and_one_warning_is_logged(caplog):
    cache = cache_at(f"redis://127.0.0.1:{free_port()}/1")  # nothing listens there

    with caplog.at_level(logging.WARNING, logger="config.cache"):
        assert cache.add("attempts", 0, 60)
        cache.incr("attempts")
        cache.incr("attempts")
        cache.set("figures", {"KZ": 3}, 60)
        assert cache.get("attempts") == 2
        assert cache.get("figures") == {"KZ": 3}
        assert cache.get_or_set("other", 5, 60) == 5

    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL", "").startswith("redis"), reason="needs REDIS_URL")
def test_with_redis_up_the_values_are_in_redis_for_every_process():
    import redis

    url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1"
    cache = cache_at(url)
    cache.set("shared", "by every web process", 60)

    stored = list(redis.Redis.from_url(url).scan_iter(f"test-{os.getpid()}:*"))
    assert stored, "the value should be stored in Redis"
    assert FailOpenRedisCache(url, {**cache_from_env(url.rsplit('/', 1)[0] + "/0"),
                                    "KEY_PREFIX": f"test-{os.getpid()}"}).get("shared") == "by every web process"
    cache.delete("shared")


@pytest.mark.skipif(not os.environ.get("REDIS_URL", "").startswith("redis"), reason="needs REDIS_URL")
def test_one_redis_client_serves_every_operation_and_thread():
    import threading

    cache = cache_at(os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1")
    client = cache._cache.get_client(write=True)
    counted = []

    def count() -> None:
        for _ in range(50):
            counted.append(cache.incr("threads"))

    cache.set("threads", 0, 60)
    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(counted) == list(range(1, 201))  # every increment once, none lost between threads
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client() is client  # one server: reads and writes share its pool
    cache.delete("threads")


@pytest.mark.skipif(not os.environ.get("REDIS_URL", "").startswith("redis"), reason="needs REDIS_URL")
def test_a_rate_window_opens_with_its_lifetime_and_counts_every_call_once():
    import redis

    url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1"
    cache = cache_at(url)
    cache.delete("window")

    counts = [cache.window_count("window", 60) for _ in range(3)]

    assert counts == [1, 2, 3]
    assert cache.get("window") == 3  # the same counter Django's cache API reads
    (stored,) = redis.Redis.from_url(url).scan_iter(f"test-{os.getpid()}:*window")
    assert 0 < redis.Redis.from_url(url).ttl(stored) <= 60  # opened with the window's lifetime, not extended
    cache.delete("window")


def test_with_redis_unreachable_a_rate_window_counts_in_memory(caplog):
    cache = cache_at(f"redis://127.0.0.1:{free_port()}/1")

    with caplog.at_level(logging.WARNING, logger="config.cache"):
        counts = [throttling.window_count(cache, "window", 60) for _ in range(3)]

    assert counts == [1, 2, 3]
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
