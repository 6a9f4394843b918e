"""A small HTTP load generator (threads and http.client) and a gunicorn server for the web benchmarks."""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from bench.common import ROOT

PORT = int(os.environ.get("CRS_BENCH_PORT", "8765"))
GUNICORN_WORKERS = int(os.environ.get("CRS_BENCH_GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))


# docker-compose.yml's web service: 3 processes of 4 threads, each process with a pool of 4 connections.
DEPLOYED_WORKERS, DEPLOYED_THREADS, DEPLOYED_POOL = 3, 4, 4


class Server:
    """gunicorn serving the product (DEBUG off), on a local port.

    By default sync workers (2 × cores + 1); ``deployed=True`` runs it as docker-compose.yml
    does: gthread workers with threads, and a connection pool per process (CRS_DB_POOL_SIZE).
    """

    def __init__(self, env: dict, *, deployed: bool = False) -> None:
        self.env = env
        self.deployed = deployed
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        shape = ["-w", str(GUNICORN_WORKERS)]
        env = {**os.environ, **self.env}
        if self.deployed:
            shape = ["-w", str(DEPLOYED_WORKERS), "--threads", str(DEPLOYED_THREADS)]
            env["CRS_DB_POOL_SIZE"] = str(DEPLOYED_POOL)
        self.process = subprocess.Popen(
            [gunicorn, "config.wsgi", "-b", f"127.0.0.1:{PORT}", *shape, "--backlog", "256",
             "--access-logfile", "/dev/null", "--error-logfile", "/tmp/crs-bench-gunicorn.log"],  # noqa: S108
            cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if Client().request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start; see /tmp/crs-bench-gunicorn.log")
        return self

    def __exit__(self, *exc) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


class Client:
    """One keep-alive connection with its own cookies (a browser tab, or an API client)."""

    def __init__(self, headers: dict | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        self.cookies: dict[str, str] = {}
        self.headers = headers or {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes, http.client.HTTPResponse]:
        all_headers = {**self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=all_headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn's sync workers close idle keep-alive connections: reconnect once.
                self.connection.close()
                if attempt:
                    raise
        for header in response.msg.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name.strip()] = value.strip()
        return response.status, data, response

    def post_form(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, bytes, http.client.HTTPResponse]:
        fields = [*fields, ("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))]
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, username: str, password: str) -> None:
        self.request("GET", "/accounts/login/")
        status, _, _ = self.post_form("/accounts/login/", [("username", username), ("password", password)])
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"could not log in as {username} (HTTP {status})")


def location(response: http.client.HTTPResponse) -> str:
    return response.getheader("Location", "")


def reference_in(url: str) -> str:
    match = re.search(r"(CRS-[0-9]{4}-[0-9]+)", url)
    if not match:
        raise SystemExit(f"no request reference in {url!r}")
    return match.group(1)


def run_clients(clients: int, per_client: int, make: Callable[[int], object],
                step: Callable[[object, int], list[tuple[str, float]]],
                think: float = 0.0) -> tuple[dict[str, list[float]], float]:
    """Run ``clients`` threads, each calling ``step`` ``per_client`` times on its own state from ``make``.

    ``step`` returns (label, milliseconds) samples. With ``think`` > 0 each client pauses a random
    time (exponential, that mean in seconds) after each step, as a person reading the page would.
    Returns the samples by label and the wall time.
    """
    states = [make(number) for number in range(clients)]
    samples: dict[str, list[float]] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)

    def worker(state) -> None:
        barrier.wait()
        try:
            for iteration in range(per_client):
                for label, ms in step(state, iteration):
                    with lock:
                        samples.setdefault(label, []).append(ms)
                if think:
                    time.sleep(random.expovariate(1 / think))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(state,)) for state in states]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return samples, time.perf_counter() - start


def timed(client: Client, method: str, path: str, **kwargs) -> tuple[float, int, bytes, http.client.HTTPResponse]:
    start = time.perf_counter()
    if method == "FORM":
        status, data, response = client.post_form(path, kwargs["fields"])
    else:
        status, data, response = client.request(method, path, kwargs.get("body"), kwargs.get("headers"))
    return (time.perf_counter() - start) * 1000, status, data, response


def free_port() -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", PORT)) != 0
