"""The product as deployed: gunicorn, a Celery worker and a separate Celery beat on PostgreSQL and Redis.

What docker-compose.yml starts, as separate processes on this machine, from a data directory
that does not exist yet. Requests filed through the API must be routed by the worker and
sealed by beat into a signed checkpoint that the stand-alone verifier accepts with the key the
operator published; /readyz must say when beat stops and when it is back. These tests would
have caught a beat that crashed at start while every page kept working.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
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
        stack.manage("create_demo_accounts")
        for name in ("web", "worker", "beat"):
            stack.start(name)
        wait_for_http(f"{stack.base}/healthz")
        yield {"stack": stack, "database": database, "redis": redis}
    finally:
        stopped = stack.stop_all()
        redis.stop()
        database.drop()
    # Stopped cleanly: SIGTERM is a clean stop for all three.
    assert all(code in (0, -signal.SIGTERM) for code in stopped.values()), (stopped, stack.logs())


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


def status_of(database: Database, references: list[str]) -> dict[str, str]:
    return dict(database.query("SELECT reference, status FROM reports_takedownrequest WHERE reference = ANY(%s)",
                               [references]))


def all_routed(database: Database, references: list[str]) -> bool:
    statuses = status_of(database, references)
    return len(statuses) == len(references) and all(s in ("queued", "needs_info") for s in statuses.values())


def test_filings_are_routed_and_sealed_into_a_checkpoint_an_outsider_verifies(deployed, tmp_path):
    stack, database = deployed["stack"], deployed["database"]
    token = token_of(database, "kz-misd-reporter")

    references = []
    for n in range(3):
        status, body = http("POST", f"{stack.base}/api/v1/requests/", token=token,
                            body=filing(external_id=f"single-{n}"))
        assert status == 201, body
        references.append(body["reference"])
    status, body = http("POST", f"{stack.base}/api/v1/requests/bulk/", token=token,
                        body={"requests": [filing(external_id=f"bulk-{n}") for n in range(5)]},
                        headers={"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, body
    references += [result["reference"] for result in body["results"]]

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
