"""Settings switch with the environment and refuse bad values loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import ImproperlyConfiguredEnv, broker_from_env, database_from_env, env_bool, env_int

ROOT = Path(__file__).resolve().parents[2]


def test_no_database_url_means_sqlite_in_the_project_folder(tmp_path):
    config = database_from_env(tmp_path, {})

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "db.sqlite3")


def test_an_empty_database_url_counts_as_unset(tmp_path):
    assert database_from_env(tmp_path, {"DATABASE_URL": ""})["ENGINE"] == "django.db.backends.sqlite3"


def test_database_url_switches_to_postgresql(tmp_path):
    config = database_from_env(tmp_path, {"DATABASE_URL": "postgres://crs:secret@db.example:5433/crs"})

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == ("db.example", 5433, "crs", "crs")


def test_a_web_process_may_share_a_bounded_pool_of_connections_between_its_threads(tmp_path):
    url = "postgres://crs:secret@db.example:5433/crs"

    pooled = database_from_env(tmp_path, {"DATABASE_URL": url, "CRS_DB_POOL_SIZE": "4"})
    plain = database_from_env(tmp_path, {"DATABASE_URL": url})

    assert pooled["OPTIONS"]["pool"]["max_size"] == 4 and pooled["CONN_MAX_AGE"] == 0
    assert "pool" not in plain.get("OPTIONS", {}) and plain["CONN_MAX_AGE"] == 60


def test_postgresql_prepares_statements_it_sees_again_unless_turned_off(tmp_path):
    url = "postgres://crs:secret@db.example:5433/crs"

    assert database_from_env(tmp_path, {"DATABASE_URL": url})["OPTIONS"]["prepare_threshold"] == 5
    assert database_from_env(tmp_path, {"DATABASE_URL": url, "CRS_DB_PREPARE_THRESHOLD": "0"}
                             )["OPTIONS"]["prepare_threshold"] is None
    assert "prepare_threshold" not in database_from_env(tmp_path, {})["OPTIONS"]


def test_unknown_database_scheme_is_refused(tmp_path):
    with pytest.raises(ImproperlyConfiguredEnv, match="DATABASE_URL"):
        database_from_env(tmp_path, {"DATABASE_URL": "mongodb://localhost/crs"})


def test_no_redis_url_means_a_filesystem_broker_under_the_data_folder(tmp_path):
    url, options = broker_from_env(tmp_path, {})

    assert url == "filesystem://localhost//"
    assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path / "broker" / "queue")


def test_redis_url_switches_the_broker_to_redis(tmp_path):
    url, options = broker_from_env(tmp_path, {"REDIS_URL": "redis://cache.example:6379/2"})

    assert url == "redis://cache.example:6379/2"
    assert options["visibility_timeout"] == 300


def test_a_malformed_redis_url_is_refused(tmp_path):
    with pytest.raises(ImproperlyConfiguredEnv, match="REDIS_URL must start with redis://"):
        broker_from_env(tmp_path, {"REDIS_URL": "localhost:6379"})


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("on", True), ("0", False), ("no", False)])
def test_booleans_are_read_strictly(raw, expected):
    assert env_bool("X", not expected, {"X": raw}) is expected


def test_a_word_that_is_not_a_boolean_fails_start_up():
    with pytest.raises(ImproperlyConfiguredEnv, match="X='maybe' is not a boolean"):
        env_bool("X", True, {"X": "maybe"})


def test_an_integer_setting_that_is_not_a_number_fails_start_up():
    with pytest.raises(ImproperlyConfiguredEnv, match="X='ten' is not an integer"):
        env_int("X", 1, {"X": "ten"})


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env}, timeout=120)


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_DEBUG="0",
                     DJANGO_SECRET_KEY="x" * 20 + "-a-long-random-production-secret-" + "y" * 20,
                     DJANGO_ALLOWED_HOSTS="crs.example.org")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="crs.example.org")

    assert result.returncode != 0
    assert "DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY" in result.stderr


def test_the_settings_read_database_and_broker_from_the_environment():
    result = _manage("shell", "-c", "from django.conf import settings as s; "
                     "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)",
                     DATABASE_URL="postgres://u:p@db.example:5432/crs", REDIS_URL="redis://cache.example:6379/0")

    assert result.stdout.strip().splitlines()[-1] == "django.db.backends.postgresql redis://cache.example:6379/0"


def test_the_cache_lives_in_the_next_redis_database_so_clearing_it_never_empties_the_task_queue():
    from config.env import cache_from_env

    assert cache_from_env("redis://127.0.0.1:6379/0", {})["LOCATION"] == "redis://127.0.0.1:6379/1"
    assert cache_from_env("redis://:secret@redis:6379", {})["LOCATION"] == "redis://:secret@redis:6379/1"
    assert cache_from_env("unix:///run/redis.sock?db=3", {})["LOCATION"] == "unix:///run/redis.sock?db=4"
    assert cache_from_env("filesystem://localhost//", {})["BACKEND"].endswith("LocMemCache")
    chosen = cache_from_env("redis://127.0.0.1:6379/0", {"CRS_CACHE_URL": "redis://cache.example:6379/5"})
    assert chosen["LOCATION"] == "redis://cache.example:6379/5"


def test_a_cache_in_the_brokers_own_database_is_refused():
    from config.env import cache_from_env

    with pytest.raises(ImproperlyConfiguredEnv, match="empty the task queue"):
        cache_from_env("redis://127.0.0.1:6379/0", {"CRS_CACHE_URL": "redis://127.0.0.1:6379/0"})
    with pytest.raises(ImproperlyConfiguredEnv, match="CRS_CACHE_URL must start with"):
        cache_from_env("redis://127.0.0.1:6379/0", {"CRS_CACHE_URL": "memcached://127.0.0.1"})


def test_the_embedded_database_lets_pages_read_while_a_request_is_written(tmp_path, django_db_blocker):
    from django.db.utils import ConnectionHandler

    # A database of its own in tmp_path, opened with the embedded default's settings (not the test database).
    connection = ConnectionHandler({"default": database_from_env(tmp_path, {})})["default"]
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
        finally:
            connection.close()


def test_runtime_folders_are_made_on_start_or_refused_in_a_sentence(tmp_path):
    from config.env import folder_prepare

    made = folder_prepare(tmp_path / "not" / "there" / "yet", setting="CRS_DATA_DIR")
    assert made.is_dir()

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ImproperlyConfiguredEnv, match=r"CRS_DATA_DIR: the folder .*a-file/data cannot be created"):
        folder_prepare(blocker / "data", setting="CRS_DATA_DIR")


def test_a_process_started_on_a_data_directory_it_cannot_make_stops_with_that_sentence(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {"PATH": "/usr/bin:/bin", "CRS_DATA_DIR": str(blocker / "data"), "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=60)

    assert done.returncode != 0
    assert "CRS_DATA_DIR: the folder" in done.stderr and "cannot be created or written" in done.stderr
