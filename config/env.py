"""Strict readers for settings taken from the environment.

A bad value stops start-up with a message naming the variable, rather than
being read as some default: a typo in production should fail loudly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ

TRUE_WORDS = {"1", "true", "yes", "on"}
# Workers and the web server write to one SQLite file: wait for the lock instead of failing,
# and take it at the start of a transaction so two writers never deadlock mid-way.
# SQLite serves a whole class in the embedded default: writers queue up (IMMEDIATE, 20 s) instead of
# failing, and in WAL mode the pages students keep reloading read while a request is being written.
SQLITE_OPTIONS = {"timeout": 20, "transaction_mode": "IMMEDIATE",
                  "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
FALSE_WORDS = {"0", "false", "no", "off"}


class ImproperlyConfiguredEnv(Exception):
    """An environment variable holds a value the settings cannot use."""


def env_str(name: str, default: str = "", environ_: Mapping[str, str] | None = None) -> str:
    source = os.environ if environ_ is None else environ_
    value = source.get(name, "")
    # An empty variable counts as unset: shells and compose files often export NAME= .
    return value if value != "" else default


def env_bool(name: str, default: bool, environ_: Mapping[str, str] | None = None) -> bool:
    raw = env_str(name, "", environ_).strip().lower()
    if raw == "":
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int, environ_: Mapping[str, str] | None = None) -> int:
    raw = env_str(name, "", environ_).strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not an integer.") from None


def env_list(name: str, default: list[str], environ_: Mapping[str, str] | None = None) -> list[str]:
    raw = env_str(name, "", environ_)
    if raw == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def database_from_env(base_dir: Path, environ_: Mapping[str, str] | None = None) -> dict:
    """The default database: ``DATABASE_URL`` if set, else SQLite in the project folder."""
    url = env_str("DATABASE_URL", "", environ_)
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(base_dir / "db.sqlite3"), "OPTIONS": SQLITE_OPTIONS}
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for malformed URLs
        raise ImproperlyConfiguredEnv(f"DATABASE_URL could not be read: {exc}") from None
    if not str(config.get("ENGINE", "")).startswith("django.db.backends."):
        raise ImproperlyConfiguredEnv(f"DATABASE_URL has an unknown scheme: {url.split(':', 1)[0]!r}.")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
        return config
    # Statements run through reports.statements and audit.inserts (the ones every filing and screening
    # batch sends) are prepared by the server after this many uses on a connection, so that it parses and
    # plans them once: that was a third of PostgreSQL's CPU per filing. Django leaves preparing off for the
    # sake of transaction-mode poolers (PgBouncer before 1.21); 0 turns it off for such a setup. The ORM's
    # own queries bind on the client and are never prepared either way.
    threshold = env_int("CRS_DB_PREPARE_THRESHOLD", 5, environ_)
    config.setdefault("OPTIONS", {}).setdefault("prepare_threshold", threshold if threshold > 0 else None)
    pool_size = env_int("CRS_DB_POOL_SIZE", 0, environ_)
    if pool_size > 0:
        # A web process with threads (gunicorn gthread, the development server) shares at most
        # this many connections, whatever the number of threads; waiting threads queue for 10 s.
        config["CONN_MAX_AGE"] = 0  # Django's pool replaces persistent connections
        config.setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 10,
                                                     "max_idle": 60}
        return config
    # One connection per thread, kept a minute: right for Celery's processes (one task at a time each).
    config.setdefault("CONN_MAX_AGE", 60)
    config.setdefault("CONN_HEALTH_CHECKS", True)
    return config


def broker_from_env(data_dir: Path, environ_: Mapping[str, str] | None = None) -> tuple[str, dict]:
    """The Celery broker URL and transport options.

    ``REDIS_URL`` selects Redis; without it a filesystem queue under ``data_dir`` lets a
    real worker run on a machine with no servers at all.
    """
    redis_url = env_str("REDIS_URL", "", environ_)
    if redis_url:
        if not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ImproperlyConfiguredEnv(
                f"REDIS_URL must start with redis://, rediss:// or unix://, not {redis_url!r}.")
        # visibility_timeout: an unacknowledged task (acks_late, worker killed) is re-delivered after this many seconds.
        return redis_url, {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 300, environ_)}
    queue_dir = data_dir / "broker"
    return "filesystem://localhost//", {
        "data_folder_in": str(queue_dir / "queue"),
        "data_folder_out": str(queue_dir / "queue"),
        "control_folder": str(queue_dir / "control"),
        "processed_folder": str(queue_dir / "processed"),
        "store_processed": False,
        "polling_interval": 0.1,
    }


REDIS_DATABASES = 16  # Redis's default number of logical databases


def _next_redis_database(url: str) -> str:
    """The same Redis server, one database on (redis://host/0 -> redis://host/1; unix://...?db=0 -> ?db=1)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str((int(query.get("db") or 0) + 1) % REDIS_DATABASES)
        return f"unix://{parts.path}?{urlencode(query)}"
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database + 1) % REDIS_DATABASES}"))


def cache_from_env(broker_url: str, environ_: Mapping[str, str] | None = None) -> dict:
    """The cache: ``CRS_CACHE_URL`` if set, else the broker's Redis server in the next database, else in-process.

    Never the broker's own database: clearing the cache (``cache.clear()`` runs FLUSHDB) must not
    empty the task queue.
    """
    url = env_str("CRS_CACHE_URL", "", environ_)
    if not url and broker_url.startswith(("redis://", "rediss://", "unix://")):
        url = _next_redis_database(broker_url)
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfiguredEnv(f"CRS_CACHE_URL must start with redis://, rediss:// or unix://, not {url!r}.")
    if url.rstrip("/") == broker_url.rstrip("/"):
        raise ImproperlyConfiguredEnv("CRS_CACHE_URL is the broker's database (REDIS_URL): clearing the cache would "
                                      "empty the task queue. Give the cache a database of its own, e.g. .../1.")
    # Short timeouts: with Redis gone, a request waits half a second once, then the cache answers from memory.
    return {"BACKEND": "config.cache.FailOpenRedisCache", "LOCATION": url, "KEY_PREFIX": "crs",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}


def folder_prepare(path: Path, *, setting: str) -> Path:
    """Create ``path`` (and its parents) and prove it writable, or stop with a sentence naming ``setting``.

    Every process (web, worker, beat, commands) reads the settings first, so a folder made
    here exists before anything writes into it, whichever process starts first.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ImproperlyConfiguredEnv(
            f"{setting}: the folder {path} cannot be created or written ({exc.strerror or exc}). "
            f"Create it for the user this process runs as, or point {setting} at a folder it can write.") from None
    return path


def ensure_broker_folders(options: dict) -> None:
    for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        if key in options:
            folder_prepare(Path(options[key]), setting="CRS_DATA_DIR (the filesystem broker's queue)")
