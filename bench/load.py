"""A small HTTP load generator (threads and http.client) and a gunicorn server for the web benchmarks."""

from __future__ import annotations

import http.client
import io
import multiprocessing
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
# CRS_BENCH_WEB_SHAPE=PROCESSESxTHREADS tries another shape (the pool follows the threads).
DEPLOYED_WORKERS, DEPLOYED_THREADS = map(int, os.environ.get("CRS_BENCH_WEB_SHAPE", "3x4").split("x"))
DEPLOYED_POOL = DEPLOYED_THREADS


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
            # gthread named: with one thread gunicorn would otherwise run sync workers, without keep-alive.
            shape = ["-k", "gthread", "-w", str(DEPLOYED_WORKERS), "--threads", str(DEPLOYED_THREADS)]
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

    def cpu_seconds(self) -> float:
        """CPU time (user and system) used so far by gunicorn's master and its live workers.

        The server's own cost per call, whatever else the machine runs: the difference over a
        phase divided by its calls. PostgreSQL's and Redis's share is not in it.
        """
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def connections_by_process(self) -> list[int]:
        """The clients' open connections held by each worker process, most first (from /proc).

        A keep-alive connection stays with the process that accepted it, and the processes accept
        unevenly: one may hold 15 of 20 clients while another holds one. With threads, a process
        runs Python on one core at a time, so a run's rate depends on this spread as much as on the
        code (/healthz measured 1,839/s with 15, 4 and 1 and 3,421/s with 7, 7 and 6).
        """
        port = f"{PORT:04X}"
        established = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port}") and fields[3] == "01":
                established.add(f"socket:[{fields[9]}]")
        held = []
        for pid in _children(self.process.pid):
            count = 0
            for fd in Path(f"/proc/{pid}/fd").glob("*"):
                try:
                    count += os.readlink(fd) in established
                except OSError:
                    continue
            if count:
                held.append(count)
        return sorted(held, reverse=True)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.extend(int(child) for child in task.read_text().split())
    return found


class _Session:
    """What a browser session does on top of ``request``: a form POST with the CSRF token, and a log-in."""

    cookies: dict[str, str]

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        raise NotImplementedError

    def post_form(self, path: str, fields: list[tuple[str, str]]):
        fields = [*fields, ("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))]
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, username: str, password: str) -> None:
        self.request("GET", "/accounts/login/")
        status, _, _ = self.post_form("/accounts/login/", [("username", username), ("password", password)])
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"could not log in as {username} (HTTP {status})")


class Client(_Session):
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


def location(response: http.client.HTTPResponse | dict) -> str:
    if isinstance(response, dict):  # InProcess's headers
        return response.get("Location", "")
    return response.getheader("Location", "")


def reference_in(url: str) -> str:
    match = re.search(r"(CRS-[0-9]{4}-[0-9]+)", url)
    if not match:
        raise SystemExit(f"no request reference in {url!r}")
    return match.group(1)


def run_clients(clients: int, per_client: int, make: Callable[[int], object],
                step: Callable[[object, int], list[tuple[str, float]]],
                think: float = 0.0, processes: int = 1,
                on_start: Callable[[], object] | None = None) -> tuple[dict[str, list[float]], float]:
    """Run ``clients`` clients, each calling ``step`` ``per_client`` times on its own state from ``make``.

    ``step`` returns (label, milliseconds) samples. With ``think`` > 0 each client pauses a random
    time (exponential, that mean in seconds) before its first step and after each, as a person reading
    the page would.
    The clients are threads, spread over ``processes`` forked processes: in one process they take
    turns at its interpreter lock, so a fast answer waits for other clients' parsing and the cheap
    baseline is capped by the load generator rather than the server. Returns the samples by label
    and the wall time; ``last_client_cpu_s`` keeps the CPU seconds the clients themselves used.
    ``on_start`` is called once every client is made (logged in) and connected, as the timing
    starts: the server's CPU counted from there leaves the log-ins out.
    """
    global last_client_cpu_s
    processes = max(1, min(processes, clients))
    if processes == 1:
        samples, seconds, last_client_cpu_s = _run_threads(range(clients), per_client, make, step, think, None,
                                                           on_start)
        return samples, seconds
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(processes + 1)
    results = context.Queue()
    children = [context.Process(target=_client_process, daemon=True, args=(
        range(k, clients, processes), per_client, make, step, think, ready, results)) for k in range(processes)]
    for child in children:
        child.start()
    ready.wait(timeout=120)
    if on_start is not None:
        on_start()
    start = time.perf_counter()
    outcomes = [results.get(timeout=3600) for _ in children]
    seconds = time.perf_counter() - start
    for child in children:
        child.join(timeout=30)
    samples: dict[str, list[float]] = {}
    last_client_cpu_s = 0.0
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        part, _seconds, cpu = outcome
        last_client_cpu_s += cpu
        for label, values in part.items():
            samples.setdefault(label, []).extend(values)
    return samples, seconds


last_client_cpu_s = 0.0


def _client_process(numbers, per_client, make, step, think, ready, results) -> None:
    try:
        results.put(_run_threads(numbers, per_client, make, step, think, ready))
    except BaseException as exc:  # reported by the parent
        results.put(RuntimeError(f"client process failed: {exc!r}"))


def _run_threads(numbers, per_client: int, make, step, think: float, ready,
                 on_start=None) -> tuple[dict, float, float]:
    states = [make(number) for number in numbers]
    samples: dict[str, list[float]] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(states) + 1)

    def worker(state) -> None:
        barrier.wait()
        try:
            if think:
                # People do not all click at the same instant: each client starts a think time in, as if it
                # had been browsing already. Otherwise the first round is 20 calls at once, a burst no user
                # load sends, and its queue alone is the p95 (measured: the 20 slowest calls were those).
                time.sleep(random.expovariate(1 / think))
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
    if ready is not None:
        ready.wait(timeout=120)  # every process has its clients connected: start together
    elif on_start is not None:
        on_start()
    random.seed()  # forked processes would otherwise think alike
    cpu = time.process_time()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return samples, time.perf_counter() - start, time.process_time() - cpu


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


class InProcess(_Session):
    """The same calls as ``Client``, through Django's WSGI handler in this process: no socket, no server.

    For CPU per call measured with ``time.process_time()``, which other work on the machine does
    not inflate as it inflates latencies. Django must be set up (DEBUG off, as deployed).
    """

    def __init__(self, headers: dict | None = None) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.app = WSGIHandler()
        self.cookies: dict[str, str] = {}
        self.headers = headers or {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes, dict]:
        body = body or b""
        path, _, query = path.partition("?")
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": str(PORT), "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
                   "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
                   "CONTENT_LENGTH": str(len(body))}
        for name, value in {**self.headers, **(headers or {})}.items():
            key = name.upper().replace("-", "_")
            environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer: dict = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split()[0]), response_headers

        response = self.app(environ, start_response)
        try:
            data = b"".join(response)
        finally:
            response.close()
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                cookie, value = value.split(";", 1)[0].split("=", 1)
                self.cookies[cookie.strip()] = value.strip()
        return answer["status"], data, dict(answer["headers"])


def cpu_per_call(call: Callable[[], object], *, calls: int, repeats: int = 3) -> tuple[float, int]:
    """Best CPU milliseconds per ``call()`` over ``repeats`` runs of ``calls``, and the queries of one call."""
    from django.db import connection

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    for _ in range(3):
        call()  # warm: imports, templates, caches that last
    with connection.execute_wrapper(count):
        call()
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(calls):
            call()
        best = min(best, (time.process_time() - start) / calls * 1000)
    return best, len(queries)


def cpu_by_queries(call: Callable[[], object], *, calls: int) -> dict[int, list[float]]:
    """The CPU milliseconds of each of ``calls`` calls, grouped by how many queries the call made."""
    from django.db import connection

    call()
    found: dict[int, list[float]] = {}
    for _ in range(calls):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            start = time.process_time()
            call()
            spent = (time.process_time() - start) * 1000
        found.setdefault(queries, []).append(spent)
    return found
