"""Run the product's own processes (workers, commands, a private Redis) against the test database."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.system.stack import RedisServer

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database the tests are using right now (the test database, not the real one)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def product_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": test_database_url(),
                "CRS_DATA_DIR": str(settings.DATA_DIR),
                "CRS_LOG_SIGNING_KEY_FILE": str(settings.CRS_LOG_SIGNING_KEY_FILE), "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@contextmanager
def worker_process(env: dict[str, str], *, queue: str, concurrency: int = 2, log: Path | None = None):
    """A real Celery worker in its own process group (so SIGKILL reaches its pool children too)."""
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency",
         str(concurrency), "-Q", queue, "-n", f"{queue}-{time.monotonic_ns()}@%h", "--loglevel", "INFO",
         "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if log:
            output.close()


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL the worker and every child of its pool: no chance to acknowledge or clean up."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def redis_server_available() -> bool:
    return shutil.which("redis-server") is not None


@contextmanager
def private_redis(port: int):
    """A Redis of our own on ``port``, so that taking it down does not disturb anything else."""
    server = RedisServer(Path(tempfile.mkdtemp(prefix="crs-redis-")), port=port)
    server.start()
    try:
        yield server.process
    finally:
        server.stop()
