"""The deployed topology, started as docker-compose.yml starts it, but as processes on this machine.

gunicorn, a Celery worker and a separate Celery beat, on a PostgreSQL database of their own
and a Redis server of their own (started here, so a test may stop it without touching the
machine's), from a data directory that does not exist yet. Each process logs to a file the
test reads when something fails.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.processes import free_port
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


class RedisServer:
    """A redis-server of the test's own, on a free port; stop() and start() simulate an outage."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder, self.port, self.process = folder, port or free_port(), None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=open(self.folder / "redis.log", "ab"), stderr=subprocess.STDOUT)  # noqa: SIM115
        wait_until(lambda: self._answers(), timeout=20, interval=0.1, message="the test's redis-server")

    def _answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Database:
    """A PostgreSQL database of the test's own on the server DATABASE_URL names; dropped afterwards."""

    def __init__(self, server_url: str):
        self.name = f"crs_system_{uuid.uuid4().hex[:10]}"
        self.admin = psycopg.conninfo.make_conninfo(server_url, dbname="postgres")
        base = server_url.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def create(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def query(self, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(psycopg.conninfo.make_conninfo(self.admin, dbname=self.name)) as conn:
            return conn.execute(sql, params).fetchall()

    def drop(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Stack:
    """web (gunicorn), worker and beat, each a process of its own, as in docker-compose.yml.

    As compose's ``restart: unless-stopped`` does, a process that exits without being stopped is
    started again (within a second); ``restarts`` lists each such exit with its code.
    """

    def __init__(self, folder: Path, *, database_url: str, redis_url: str, extra_env: dict | None = None):
        self.folder = folder
        self.data = folder / "data"  # not created: the processes make it
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.restarts: list[tuple[str, int]] = []
        self._stopped: set[str] = set()
        self._lock = threading.Lock()
        self._watching = threading.Event()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("DJANGO_", "CRS_", "CELERY_", "PYTEST_")) and k not in ("DATABASE_URL",
                                                                                                "REDIS_URL")}
        self.env.update({
            "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "DJANGO_HTTPS": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "CRS_SITE_URL": self.base,
            "CRS_DATA_DIR": str(self.data), "CRS_LOG_SIGNING_KEY_FILE": str(self.data / "keys" / "log-signing-key"),
            "DJANGO_STATIC_ROOT": str(folder / "static"), "PYTHONUNBUFFERED": "1", **(extra_env or {})})

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def commands(self) -> dict[str, list[str]]:
        python = sys.executable
        return {
            "web": [python, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                    "--workers", "2", "--threads", "4", "--log-level", "warning"],
            "worker": [python, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2",
                       "--hostname", f"worker-{self.port}@%h"],
            # As docker-compose.yml runs it: its schedule file in the data volume (a folder not made yet here).
            "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                     "--schedule", str(self.data / "beat" / "celerybeat-schedule")],
        }

    def start(self, name: str) -> None:
        with self._lock:
            self._stopped.discard(name)
            self._launch(name)
        if not self._watching.is_set():
            self._watching.set()
            threading.Thread(target=self._restart_exited, daemon=True).start()

    def _launch(self, name: str) -> None:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        # As docker-compose.yml sets it: the web processes share a pool of connections between their threads.
        env = {**self.env, "CRS_DB_POOL_SIZE": "4"} if name == "web" else self.env
        self.processes[name] = subprocess.Popen(self.commands()[name], cwd=ROOT, env=env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def _restart_exited(self) -> None:
        while self._watching.is_set():
            time.sleep(0.5)
            with self._lock:
                for name, process in list(self.processes.items()):
                    if name not in self._stopped and process.poll() is not None:
                        self.restarts.append((name, process.returncode))
                        self._launch(name)

    def stop(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        with self._lock:
            self._stopped.add(name)
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        if sig == signal.SIGKILL:
            os.killpg(process.pid, signal.SIGKILL)  # the whole process group: as a machine that dies
        else:
            process.send_signal(sig)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait(timeout=10)

    def stop_all(self) -> dict[str, int | None]:
        self._watching.clear()
        return {name: self.stop(name) for name in list(self.processes)}

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- {name}.log (last lines)\n{self.log(name)[-3000:]}" for name in self.processes)

    def public_key_hex(self) -> str:
        """The log's public key as the operator publishes it: derived from the key file, not asked of the site."""
        seed = base64.b64decode((self.data / "keys" / "log-signing-key").read_text().strip())
        key = Ed25519PrivateKey.from_private_bytes(seed).public_key()
        return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def http(method: str, url: str, *, token: str | None = None, body=None, headers: dict | None = None,
         timeout: float = 20) -> tuple[int, dict | str]:
    """One HTTP call; an error status is returned, not raised."""
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, kind = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, raw, kind = error.code, error.read(), error.headers.get("Content-Type", "")
    text = raw.decode(errors="replace")
    return status, json.loads(text) if "json" in kind and text else text


def answers(url: str) -> bool:
    try:
        return http("GET", url, timeout=3)[0] == 200
    except OSError:
        return False


def wait_for_http(url: str, *, timeout: float = 60) -> None:
    wait_until(lambda: answers(url), timeout=timeout, interval=0.3, message=f"{url} to answer")


def poll(predicate, *, timeout: float, interval: float = 0.5, message: str):
    """wait_until, and how long it took."""
    started = time.monotonic()
    value = wait_until(predicate, timeout=timeout, interval=interval, message=message)
    return value, time.monotonic() - started
