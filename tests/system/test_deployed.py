"""The product as deployed: gunicorn, a Celery worker and a separate Celery beat on PostgreSQL and Redis.

What docker-compose.yml starts, as separate processes on this machine, from a data directory
that does not exist yet. Requests filed through the API must be routed by the worker and
sealed by beat into a signed checkpoint that the stand-alone verifier accepts with the key the
operator published; /readyz must say when beat stops and when it is back. These tests would
have caught a beat that crashed at start while every page kept working.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from tests.system.stack import ROOT, Database, RedisServer, Stack, http, poll, wait_for_http

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("deployed-stack")]

# Short enough for a test to watch readiness turn, long enough for beat's 5-second seal to be on time.
MAX_SEAL_LAG_S = 12


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        if os.environ.get("CRS_REQUIRE_SERVICES") == "1":
            pytest.fail("the deployed topology needs DATABASE_URL=postgres://...")
        pytest.skip("the deployed topology runs on PostgreSQL: set DATABASE_URL=postgres://...")
    if shutil.which("redis-server") is None:
        pytest.fail("the deployed topology starts a redis-server of its own; install redis-server")
    return url


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deployed")
    database = Database(_postgres_url())
    redis = RedisServer(folder / "redis")
    database.create()
    redis.start()
    stack = Stack(folder, database_url=database.url, redis_url=redis.url,
                  extra_env={"CRS_READY_MAX_SEAL_LAG_S": str(MAX_SEAL_LAG_S), "CRS_READY_PROCESS_STALE_S": "10"})
    try:
        # As the web container's command and an operator's first steps do.
        stack.manage("migrate", "--no-input")
        stack.manage("collectstatic", "--no-input", "--verbosity", "0")
        stack.manage("load_scenario", "kazakhstan-2021")
        accounts = stack.manage("create_demo_accounts")
        for name in ("web", "worker", "beat"):
            stack.start(name)
        wait_for_http(f"{stack.base}/healthz")
        yield {"stack": stack, "database": database, "redis": redis, "accounts": accounts}
    finally:
        stopped = stack.stop_all()
        redis.stop()
        database.drop()
    # Stopped cleanly: SIGTERM is a clean stop for all three.
    assert all(code in (0, -signal.SIGTERM) for code in stopped.values()), (stopped, stack.logs())
    if stack.restarts:
        print(f"restarted after exiting on their own (compose's restart policy): {stack.restarts}")


def token_of(database: Database, username: str) -> str:
    rows = database.query("SELECT key FROM authtoken_token JOIN auth_user ON auth_user.id = authtoken_token.user_id "
                          "WHERE username = %s", [username])
    assert rows, f"no API token for {username}"
    return rows[0][0]


def filing(content: str = "kz-0007", external_id: str | None = None) -> dict:
    body = {"items": [{"content_id": content}], "category": "hate_speech", "legal_basis": ["KZ-CC-174"],
            "requested_action": "restrict_in_jurisdiction",
            "justification": "The post incites discord between groups of citizens under art. 174."}
    return {**body, "external_id": external_id} if external_id else body


def file_singles_and_a_bulk(stack: Stack, token: str, prefix: str, *, singles: int,
                            bulk: int) -> tuple[list[str], list[float]]:
    """File ``singles`` requests one by one and ``bulk`` in one bulk call: their references and how long each took."""
    references, answered = [], []
    for n in range(singles):
        started = time.monotonic()
        status, body = http("POST", f"{stack.base}/api/v1/requests/", token=token,
                            body=filing(external_id=f"{prefix}-single-{n}"))
        answered.append(time.monotonic() - started)
        assert status == 201, body
        references.append(body["reference"])
    if bulk:
        started = time.monotonic()
        status, body = http("POST", f"{stack.base}/api/v1/requests/bulk/", token=token,
                            body={"requests": [filing(external_id=f"{prefix}-bulk-{n}") for n in range(bulk)]},
                            headers={"Idempotency-Key": str(uuid.uuid4())})
        answered.append(time.monotonic() - started)
        assert status == 201, body
        references += [result["reference"] for result in body["results"]]
    return references, answered


def status_of(database: Database, references: list[str]) -> dict[str, str]:
    return dict(database.query("SELECT reference, status FROM reports_takedownrequest WHERE reference = ANY(%s)",
                               [references]))


def all_routed(database: Database, references: list[str]) -> bool:
    statuses = status_of(database, references)
    return len(statuses) == len(references) and all(s in ("queued", "needs_info") for s in statuses.values())


def test_filings_are_routed_and_sealed_into_a_checkpoint_an_outsider_verifies(deployed, tmp_path):
    stack, database = deployed["stack"], deployed["database"]
    token = token_of(database, "kz-misd-reporter")

    references, _ = file_singles_and_a_bulk(stack, token, "sealed", singles=3, bulk=5)

    poll(lambda: all_routed(database, references), timeout=60, message=f"the worker to route the requests\n"
                                                                        f"{stack.logs()}")

    def sealed():
        events = database.query("SELECT count(*) FROM audit_auditevent")[0][0]
        latest = database.query("SELECT coalesce(max(tree_size), 0) FROM audit_checkpoint")[0][0]
        return events and latest >= events

    poll(sealed, timeout=60, message=f"beat to seal every event into a checkpoint\n{stack.logs()}")

    auditor = token_of(database, "auditor")
    verified = subprocess.run(
        [sys.executable, "tools/crs_verify.py", "--url", stack.base, "--public-key", stack.public_key_hex(),
         "--token", auditor, "--all-events", "--state", str(tmp_path / "verified.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "signature valid" in verified.stdout

    for name in ("web", "worker", "beat"):
        assert "Traceback" not in stack.log(name), stack.log(name)[-3000:]
    # The data directory and the beat's schedule folder were made by the processes themselves.
    assert (stack.data / "beat").is_dir()


def readyz(stack: Stack) -> tuple[int, dict]:
    return http("GET", f"{stack.base}/readyz")


def test_readiness_turns_503_when_beat_stops_while_filings_continue_and_200_after_it_restarts(deployed):
    stack, database = deployed["stack"], deployed["database"]
    token = token_of(database, "kz-misd-reporter")
    (status, report), _ = poll(lambda: (r := readyz(stack))[0] == 200 and r, timeout=60,
                               message="the deployed stack to be ready")
    assert report["checks"]["workers"]["ok"] and report["checks"]["beat"]["ok"], report

    assert stack.stop("beat") in (0, -signal.SIGTERM)
    filed = []

    def not_ready():
        status, body = http("POST", f"{stack.base}/api/v1/requests/", token=token, body=filing())
        assert status == 201, body
        filed.append(body["reference"])
        code, report = readyz(stack)
        return code == 503 and report

    report, waited = poll(not_ready, timeout=MAX_SEAL_LAG_S + 30, interval=1,
                          message="/readyz to answer 503 once the log stops being sealed")
    assert waited <= MAX_SEAL_LAG_S + 25
    assert not report["checks"]["log"]["ok"] and report["checks"]["log"]["unsealed_events"] > 0
    assert any("not being sealed" in problem for problem in report["problems"]), report
    assert any("beat" in problem for problem in report["problems"]), report

    stack.start("beat")
    report, back = poll(lambda: (r := readyz(stack))[0] == 200 and r[1], timeout=60, interval=1,
                        message="/readyz to answer 200 once beat runs again")
    assert report["checks"]["log"]["unsealed_events"] == 0 or report["checks"]["log"]["ok"]
    assert all_routed(database, filed)


def screened_once(database: Database, references: list[str]) -> None:
    """Each request screened exactly once: one run, four check results, one routing event."""
    rows = database.query(
        "SELECT r.reference, (SELECT count(*) FROM review_screeningrun s WHERE s.request_id = r.id),"
        " (SELECT count(*) FROM review_checkresult c WHERE c.request_id = r.id),"
        " (SELECT count(*) FROM audit_auditevent e WHERE e.request_id = r.id AND e.event_type = 'request_routed')"
        " FROM reports_takedownrequest r WHERE r.reference = ANY(%s)", [references])
    assert len(rows) == len(set(references))
    wrong = [row for row in rows if row[1:] != (1, 4, 1)]
    assert not wrong, f"(reference, runs, check results, routing events) not (1, 4, 1): {wrong[:5]}"


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/portal/**")


def file_through_the_portal(page, base: str, content: str) -> str:
    page.goto(f"{base}/portal/")
    page.get_by_role("button", name="Start a new request").click()
    page.fill("input[name=add_item]", content)
    page.get_by_role("button", name="Add", exact=True).click()
    page.select_option("select[name=category]", "hate_speech")
    page.get_by_role("checkbox", name=re.compile("^KZ-CC-174")).check()
    page.check("input[name=requested_action][value=restrict_in_jurisdiction]")
    page.fill("textarea[name=justification]", "The post incites discord between groups of citizens (art. 174).")
    page.get_by_role("button", name="Review before sending").click()
    page.get_by_role("button", name="Send the request to the platform").click()
    page.wait_for_selector("#request-status")
    assert "Server Error" not in page.content()
    return re.search(r"CRS-\d{4}-\d{6}", page.url).group(0)


@pytest.mark.browser
def test_filing_through_the_api_and_the_portal_survives_a_redis_outage(deployed, new_page):
    stack, database, redis = deployed["stack"], deployed["database"], deployed["redis"]
    token = token_of(database, "kz-misd-reporter")
    password = re.search(r"kz-misd-reporter\s+(\S+)", deployed["accounts"]).group(1)
    page = new_page()
    log_in(page, stack.base, "kz-misd-reporter", password)

    # when: Redis (broker and cache) goes away while reporters keep filing
    redis.stop()
    references, answered = file_singles_and_a_bulk(stack, token, "outage", singles=3, bulk=3)
    other = new_page()
    log_in(other, stack.base, "kz-misd-reporter", password)  # the log-in lockout counts without Redis too
    references.append(file_through_the_portal(page, stack.base, "kz-0003"))
    assert set(status_of(database, references).values()) == {"submitted"}  # stored, waiting for the broker

    # then: once Redis is back, every request is screened exactly once
    redis.start()
    _, recovery = poll(lambda: all_routed(database, references), timeout=90, interval=0.5,
                       message=f"the requests filed during the outage to be routed\n{stack.logs()}")
    screened_once(database, references)
    print(f"filing with Redis down answered in at most {max(answered):.2f} s; routed {recovery:.1f} s after "
          "Redis returned")
    assert "Traceback" not in stack.log("web"), stack.log("web")[-3000:]


def test_bulk_calls_racing_on_one_external_id_all_get_the_earlier_request(deployed):
    stack, database = deployed["stack"], deployed["database"]
    token = token_of(database, "kz-misd-reporter")
    shared = f"race-{uuid.uuid4().hex[:8]}"
    calls = 10
    barrier = threading.Barrier(calls)
    answers: list[tuple[int, dict]] = [None] * calls
    connections: list[int] = []
    stop = threading.Event()

    def call(n: int) -> None:
        body = {"requests": [filing(external_id=shared), filing(external_id=f"{shared}-own-{n}")]}
        barrier.wait()
        answers[n] = http("POST", f"{stack.base}/api/v1/requests/bulk/", token=token, body=body,
                          headers={"Idempotency-Key": f"{shared}-{n}"})

    def count_connections() -> None:
        while not stop.is_set():
            connections.append(database.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")[0][0])
            time.sleep(0.05)

    sampler = threading.Thread(target=count_connections)
    sampler.start()
    threads = [threading.Thread(target=call, args=(n,)) for n in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stop.set()
    sampler.join()

    assert all(status == 201 for status, _ in answers), [a for a in answers if a[0] != 201]
    shared_results = [body["results"][0] for _, body in answers]
    assert len({result["reference"] for result in shared_results}) == 1
    assert sum(result["created"] for result in shared_results) == 1
    assert database.query("SELECT count(*) FROM reports_takedownrequest WHERE external_id = %s", [shared]) == [(1,)]
    assert all(body["results"][1]["created"] for _, body in answers)
    # Connections: 2 web processes x a pool of 4, the worker (main process and 2 children), beat.
    assert max(connections) <= 2 * 4 + 3 + 1, max(connections)
    print(f"at most {max(connections)} PostgreSQL connections during the race")


def test_a_worker_killed_mid_screening_loses_nothing_and_a_new_worker_routes_its_requests_within_60_s(deployed):
    stack, database = deployed["stack"], deployed["database"]
    token = token_of(database, "kz-misd-reporter")
    # The work waits in the queue for a worker that starts with all of it before it: a worker already
    # running screened two bulk calls as fast as they were filed, before the test could kill it.
    stack.stop("worker")
    references = []
    for batch in range(10):
        references += file_singles_and_a_bulk(stack, token, f"kill-{batch}", singles=0, bulk=100)[0]
    stack.start("worker")

    def routed() -> int:
        return sum(s in ("queued", "needs_info") for s in status_of(database, references).values())

    poll(lambda: routed() >= 10, timeout=60, interval=0.02, message="the worker to start screening")
    assert stack.stop("worker", sig=signal.SIGKILL) is not None
    at_kill = routed()
    assert at_kill < len(references), "the worker must die in the middle of the work"

    stack.start("worker")
    _, recovery = poll(lambda: all_routed(database, references), timeout=90, interval=0.5,
                       message=f"a new worker to route what the killed one left\n{stack.logs()}")
    screened_once(database, references)
    print(f"{len(references) - at_kill} requests left by the killed worker routed {recovery:.1f} s after a new "
          "worker started")
    assert recovery <= 60
