"""The README's first command: a working site with the scenario loaded, a live worker and beat, stopped by Ctrl-C.

Run as the README gives it: with nothing set (SQLite and the filesystem broker), and with
DATABASE_URL and REDIS_URL (PostgreSQL, and a Redis server of the test's own). Either way a
request filed through the API is routed, every event is sealed into a checkpoint that the
stand-alone verifier accepts, and /readyz says the worker and beat run.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.processes import free_port, lines_of, read_until
from tests.system.stack import Database, RedisServer, http
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["embedded", "postgres-redis"])
def installation(request, tmp_path):
    """Where the product keeps its data, and a way to read it: (environment, query)."""
    env = {"CRS_DATA_DIR": str(tmp_path / "var"), "CRS_LOG_SIGNING_KEY_FILE": str(tmp_path / "key")}
    if request.param == "embedded":
        database = tmp_path / "db.sqlite3"

        def query(sql: str, params=()):
            with sqlite3.connect(database) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchall()

        yield {**env, "DATABASE_URL": f"sqlite:///{database}"}, query
        return
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        if os.environ.get("CRS_REQUIRE_SERVICES") == "1":
            pytest.fail("CI runs the README's PostgreSQL and Redis line: set DATABASE_URL=postgres://...")
        pytest.skip("the README's PostgreSQL and Redis line needs DATABASE_URL=postgres://...")
    postgres, redis = Database(server), RedisServer(tmp_path / "redis")
    postgres.create()
    redis.start()
    try:
        yield {**env, "DATABASE_URL": postgres.url, "REDIS_URL": redis.url}, postgres.query
    finally:
        redis.stop()
        postgres.drop()


@pytest.mark.worker
def test_the_run_command_serves_the_scenario_with_a_live_worker_and_beat_and_stops_on_ctrl_c(installation, tmp_path):
    settings, query = installation
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE") and not k.startswith("CRS_")}
    env.update({**settings, "PYTHONUNBUFFERED": "1"})
    process = subprocess.Popen([sys.executable, "scripts/run", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = lines_of(process)
    worker = None
    try:
        output = read_until(lines, "Press Ctrl-C to stop.", timeout=240)
        worker = _worker_of(process)
        base = f"http://127.0.0.1:{port}"
        assert f"CRS Simulator is running: {base}/" in output
        assert "kz-misd-reporter" in output and "policy-reviewer" in output and "auditor" in output
        assert "Government reporter" in output and "affected-user" in output  # every role, named in words

        status, page = wait_until(lambda: _get_or_none(f"{base}/"), timeout=30, message="the web server")
        assert status == 200 and "one process" in page.lower()

        token = _token_of(query, "kz-misd-reporter")
        status, filed = http("POST", f"{base}/api/v1/requests/", token=token, body={
            "items": [{"content_id": "kz-0007"}], "category": "hate_speech", "legal_basis": ["KZ-CC-174"],
            "requested_action": "restrict_in_jurisdiction",
            "justification": "The post incites discord between groups of citizens under art. 174."})
        assert status == 201

        def routed():
            _, body = http("GET", f"{base}/api/v1/requests/{filed['reference']}/", token=token)
            return body if body["status"] == "queued" else None

        assert wait_until(routed, timeout=60, interval=0.5, message="the worker to route the request")["queue"]

        # Beat (inside the worker) seals every event into a checkpoint the stand-alone verifier accepts.
        def sealed():
            events = query("SELECT count(*) FROM audit_auditevent")[0][0]
            size = query("SELECT coalesce(max(tree_size), 0) FROM audit_checkpoint")[0][0]
            return size >= events

        wait_until(sealed, timeout=60, interval=0.5, message="beat to seal every event into a checkpoint")
        verified = subprocess.run(
            [sys.executable, "tools/crs_verify.py", "--url", base, "--public-key", _public_key(tmp_path / "key"),
             "--token", _token_of(query, "auditor"), "--all-events", "--state", str(tmp_path / "verified.json")],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        status, ready = http("GET", f"{base}/readyz")
        assert status == 200 and ready["checks"]["beat"]["ok"] and ready["checks"]["workers"]["ok"], ready

        # A worker that dies (as one can reconnecting to a Redis that went away) is started again; the site
        # stays up and what is filed meanwhile is routed.
        assert _group(worker), "the worker's beat runs in a process of its own"
        os.kill(worker, signal.SIGKILL)
        output += read_until(lines, "starting it again", timeout=10)
        assert "The worker stopped on its own (killed by signal 9)" in output
        # The killed worker's beat does not live on beside the new worker's.
        wait_until(lambda: not _group(worker), timeout=15, message="the killed worker's processes to end")
        worker = _worker_of(process)
        status, filed = http("POST", f"{base}/api/v1/requests/", token=token, body={
            "items": [{"content_id": "kz-0008"}], "category": "hate_speech", "legal_basis": ["KZ-CC-174"],
            "requested_action": "restrict_in_jurisdiction",
            "justification": "A second post inciting discord between groups of citizens under art. 174."})
        assert status == 201
        assert wait_until(routed, timeout=90, interval=0.5, message="the restarted worker to route a request")
    finally:
        # Ctrl-C; or, for the second installation, the hang-up of a terminal window closed on it.
        process.send_signal(signal.SIGHUP if "REDIS_URL" in settings else signal.SIGINT)
        try:
            process.wait(timeout=45)
        finally:
            # What outlived the command (its web server; the worker's group, which is its own), then none of it.
            left_running = [*_group(process.pid), *(_group(worker) if worker else []),
                            *([worker] if worker and Path(f"/proc/{worker}").exists() else [])]
            for leader in [pid for pid in (process.pid, worker) if pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(leader, signal.SIGKILL)
    rest = read_until(lines, "Stopped the web server and the worker.", timeout=5)
    assert process.returncode == 0, rest
    assert not left_running, "stopping leaves none of the web server's or the worker's processes running"
    assert "Traceback" not in output + rest, output + rest
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _public_key(key_file: Path) -> str:
    """The log's public key as its operator publishes it: from the key file, not asked of the site."""
    seed = base64.b64decode(key_file.read_text().strip())
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _worker_of(process) -> int:
    """The run command's worker (celery's main process), once it has started."""
    (worker,) = wait_until(lambda: [pid for pid in _children(process.pid) if b"celery" in _cmdline(pid)],
                           timeout=15, message="the worker to start")
    return worker


def _children(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").glob("*/children") for child in task.read_text().split()]


def _group(leader: int) -> list[int]:
    """The processes of the group ``leader`` started, apart from the leader (its pool and beat processes)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == leader and int(stat.parent.name) != leader:  # the process group's id
            members.append(int(stat.parent.name))
    return members


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def _token_of(query, username: str) -> str:
    return query("SELECT key FROM authtoken_token JOIN auth_user ON auth_user.id = authtoken_token.user_id "
                 "WHERE username = %s", [username])[0][0]


def _get_or_none(url):
    try:
        return http("GET", url)
    except OSError:
        return None
