"""docker-compose.yml describes what the system tests start (there is no Docker engine to run it here)."""

from __future__ import annotations

import shlex

import yaml

from tests.system.stack import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def words(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_web_worker_and_beat_are_separate_services_as_the_system_tests_start_them():
    assert {"web", "worker", "beat", "postgres", "redis", "cache"} <= set(SERVICES)
    web = " ".join(words("web"))
    assert "migrate --no-input" in web and "gunicorn config.wsgi:application" in web and "--threads" in web
    assert words("worker")[:4] == ["celery", "-A", "config", "worker"] and "--beat" not in words("worker")
    beat = words("beat")
    assert beat[:4] == ["celery", "-A", "config", "beat"]
    assert beat[beat.index("--schedule") + 1].startswith("/var/lib/crs/")  # in the data volume


def test_the_cache_is_a_server_apart_from_the_queue_and_the_web_shares_a_bounded_pool():
    web, worker = SERVICES["web"]["environment"], SERVICES["worker"]["environment"]
    assert web["REDIS_URL"].startswith("redis://redis:") and web["CRS_CACHE_URL"].startswith("redis://cache:")
    assert "allkeys-lru" in SERVICES["cache"]["command"] and "noeviction" in SERVICES["redis"]["command"]
    assert int(web["CRS_DB_POOL_SIZE"]) > 0 and "CRS_DB_POOL_SIZE" not in worker
    assert web["DATABASE_URL"] == worker["DATABASE_URL"] == SERVICES["beat"]["environment"]["DATABASE_URL"]
