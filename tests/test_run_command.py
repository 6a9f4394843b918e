"""The README's first command: a working site with the scenario loaded and a live worker, stopped by Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.processes import free_port, lines_of, read_until
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]


def http(method: str, url: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict | str]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
        return response.status, json.loads(text) if "json" in response.headers.get("Content-Type", "") else text


@pytest.mark.worker
def test_the_run_command_serves_the_scenario_with_a_live_worker_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "CRS_DATA_DIR": str(tmp_path / "var"),
                "CRS_LOG_SIGNING_KEY_FILE": str(tmp_path / "key"), "PYTHONUNBUFFERED": "1"})
    process = subprocess.Popen([sys.executable, "scripts/run", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = lines_of(process)
    try:
        output = read_until(lines, "Press Ctrl-C to stop.", timeout=240)
        base = f"http://127.0.0.1:{port}"
        assert f"CRS Simulator is running: {base}/" in output
        assert "kz-misd-reporter" in output and "policy-reviewer" in output and "auditor" in output
        assert "Government reporter" in output and "affected-user" in output  # every role, named in words

        status, page = wait_until(lambda: _get_or_none(f"{base}/"), timeout=30, message="the web server")
        assert status == 200 and "one process" in page.lower()

        token = _token_of(tmp_path / "db.sqlite3", "kz-misd-reporter")
        status, filed = http("POST", f"{base}/api/v1/requests/", token, {
            "items": [{"content_id": "kz-0007"}], "category": "hate_speech", "legal_basis": ["KZ-CC-174"],
            "requested_action": "restrict_in_jurisdiction",
            "justification": "The post incites discord between groups of citizens under art. 174."})
        assert status == 201

        def routed():
            _, body = http("GET", f"{base}/api/v1/requests/{filed['reference']}/", token)
            return body if body["status"] == "queued" else None

        assert wait_until(routed, timeout=60, interval=0.5, message="the worker to route the request")["queue"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=45)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    rest = read_until(lines, "Stopped the web server and the worker.", timeout=5)
    assert process.returncode == 0, rest
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _token_of(database: Path, username: str) -> str:
    import sqlite3

    with sqlite3.connect(database) as db:
        return db.execute("SELECT key FROM authtoken_token JOIN auth_user ON auth_user.id = authtoken_token.user_id "
                          "WHERE username = ?", [username]).fetchone()[0]


def _get_or_none(url):
    try:
        return http("GET", url)
    except OSError:
        return None
