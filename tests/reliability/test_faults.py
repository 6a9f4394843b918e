"""Faults survived: a worker killed mid-batch, the broker down while filing, a database error mid-filing.

The workers here are real separate processes on the configured broker and database
(Redis and PostgreSQL in CI), killed with SIGKILL; then everything is counted.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import DatabaseError, connection

from audit.models import AuditEvent, PendingSeal
from filing.inputs import ItemInput, RequestInput
from filing.services import request_file
from reports.models import CitedProvision, RequestItem, Status, TakedownRequest
from review.models import CheckResult, ScreeningRun
from tests.processes import free_port
from tests.reliability.processes import (
    kill_hard,
    manage,
    private_redis,
    product_env,
    redis_server_available,
    worker_process,
)
from tests.waiting import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
UNROUTED = [Status.SUBMITTED, Status.SCREENING]
PER_REQUEST_EVENTS = {"request_submitted": 1, "screening_started": 1, "check_completed": 4, "request_routed": 1}


def routed_count() -> int:
    return TakedownRequest.objects.exclude(status__in=UNROUTED).count()


def assert_every_request_screened_exactly_once(expected: int) -> None:
    assert TakedownRequest.objects.count() == expected
    assert not TakedownRequest.objects.filter(status__in=UNROUTED).exists()
    assert ScreeningRun.objects.count() == expected
    assert CheckResult.objects.count() == 4 * expected
    per_request = Counter(AuditEvent.objects.filter(request__isnull=False).exclude(
        event_type__in=["screening_reenqueued", "info_requested"]).values_list("request_id", "event_type"))
    counts = Counter()
    for (_, event_type), n in per_request.items():
        assert n == PER_REQUEST_EVENTS[event_type], f"{event_type} written {n} times for one request"
        counts[event_type] += n
    assert counts == {name: n * expected for name, n in PER_REQUEST_EVENTS.items()}


KILLED_BATCH = 300


def test_a_worker_killed_mid_batch_loses_no_request_and_duplicates_nothing(kz_scenario, tmp_path):
    env = product_env(CRS_TASK_QUEUE="faults-kill", CELERY_VISIBILITY_TIMEOUT_S="3")
    # Enough requests that screening is still under way when the first few are routed: a batch of a
    # few dozen is screened in two shares, each routed at once, faster than the test can kill.
    manage("simulate", "--requests", str(KILLED_BATCH), "--jurisdiction", "KZ", "--seed", "11", "-v", "0", env=env)
    assert TakedownRequest.objects.filter(status=Status.SUBMITTED).count() == KILLED_BATCH

    # when: the worker is killed with SIGKILL in the middle of the batch
    with worker_process(env, queue="faults-kill", log=tmp_path / "worker-1.log") as first:
        wait_until(lambda: routed_count() >= 8, timeout=90, message="the first worker to route a few requests")
        kill_hard(first)
    at_kill = routed_count()
    assert at_kill < KILLED_BATCH, "the batch must still be in progress when the worker dies"

    # then: a new worker takes the re-delivered tasks, the sweeper re-enqueues the rest, and all finish once
    with worker_process(env, queue="faults-kill", log=tmp_path / "worker-2.log"):
        manage("sweep", env={**env, "CRS_SWEEP_AFTER_S": "0"})
        wait_until(lambda: routed_count() == KILLED_BATCH, timeout=120, interval=0.25,
                   message=f"all {KILLED_BATCH} requests routed (had {at_kill} at the kill)")
    assert_every_request_screened_exactly_once(KILLED_BATCH)
    manage("seal_audit_log", env=env)
    assert PendingSeal.objects.count() == 0
    assert "OK:" in manage("verify_audit_log", "-v", "0", env=env).stdout


@pytest.mark.skipif(not redis_server_available(), reason="needs the redis-server program to stop and start a broker")
def test_filing_succeeds_with_the_broker_down_and_the_sweeper_routes_it_once_the_broker_is_back(kz_scenario,
                                                                                                tmp_path):
    port = free_port()
    env = product_env(REDIS_URL=f"redis://127.0.0.1:{port}/0", CRS_TASK_QUEUE="faults-broker")

    # given: nothing listens where the broker should be
    result = manage("simulate", "--requests", "3", "--jurisdiction", "KZ", "-v", "0", env=env)
    assert "Filed 3 request(s); 0 refused." in result.stdout
    assert "the sweeper will retry" in result.stderr
    assert TakedownRequest.objects.filter(status=Status.SUBMITTED).count() == 3

    # when: the broker comes back, with a worker, and the sweeper runs
    with private_redis(port), worker_process(env, queue="faults-broker", log=tmp_path / "worker.log"):
        manage("sweep", env={**env, "CRS_SWEEP_AFTER_S": "0"})
        wait_until(lambda: routed_count() == 3, timeout=60, interval=0.25, message="the three requests routed")

    assert_every_request_screened_exactly_once(3)


@pytest.mark.skipif(not redis_server_available(), reason="needs the redis-server program to stop and start a broker")
def test_a_filing_lost_in_a_broker_outage_is_resent_by_the_next_sweep_though_its_tick_also_sent_housekeeping(
        kz_scenario, tmp_path, settings):
    from datetime import timedelta

    from django.utils import timezone

    from config.celery import app
    from config.settings import CELERY_BEAT_SCHEDULE  # the product's (the tests' settings run no beat)

    queue = "faults-tick"
    log = tmp_path / "worker.log"
    # given: a filing made while the broker was down (its message never sent), and a worker, as deployed
    # one task at a time, that has started (and run its start-up sweep, which finds nothing yet)
    env = product_env(CRS_TASK_QUEUE=queue, CRS_SWEEP_AFTER_S="3600")
    manage("simulate", "--requests", "1", "--jurisdiction", "KZ", "-v", "0",
           env={**env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    lost = TakedownRequest.objects.get(status=Status.SUBMITTED)
    with app.connection_for_write() as connection_:
        connection_.default_channel.queue_purge(queue)
    with worker_process(env, queue=queue, concurrency=1, log=log):
        wait_until(lambda: log.exists() and "succeeded" in log.read_text().partition("stuck_requests_sweep")[2],
                   timeout=60, message="the worker's start-up sweep")
        # Idle past the stale time, not the sweep time: only an empty queue lets the sweeper resend it
        # (operations.md promises routing about 20 s after the broker returns).
        TakedownRequest.objects.filter(pk=lost.pk).update(
            last_activity_at=timezone.now() - settings.CRS_SCREENING_STALE - timedelta(seconds=1))

        # when: one tick of beat sends the sweep between the housekeeping due with it (their order in beat's
        # log): the worker takes the sweep while the last of them still waits in the queue
        for name in ("feed-deliveries-create", "stuck-requests-sweep", "log-seal-all"):
            entry = CELERY_BEAT_SCHEDULE[name]
            app.send_task(entry["task"], queue=queue, **entry.get("options", {}))

        # then: that housekeeping is not counted as screening ahead of the filing, which is resent and routed
        wait_until(lambda: routed_count() == 1, timeout=30, interval=0.25,
                   message=f"the lost filing resent by the sweep and routed\n{log.read_text()}")
    assert_every_request_screened_exactly_once(1)


def _install_failing_trigger() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE OR REPLACE FUNCTION crs_test_disk_full() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'could not extend file: No space left on device'; END; $$ LANGUAGE plpgsql")
            cursor.execute("CREATE TRIGGER crs_test_disk_full BEFORE INSERT ON audit_auditevent FOR EACH ROW "
                           "EXECUTE FUNCTION crs_test_disk_full()")
        else:
            cursor.execute("CREATE TRIGGER crs_test_disk_full BEFORE INSERT ON audit_auditevent BEGIN "
                           "SELECT RAISE(ABORT, 'database or disk is full'); END")


def _remove_failing_trigger() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS crs_test_disk_full ON audit_auditevent")
            cursor.execute("DROP FUNCTION IF EXISTS crs_test_disk_full()")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS crs_test_disk_full")


def test_a_database_error_mid_filing_leaves_nothing_half_written(kz_reporter):
    # given: the database fails on the last write of a filing (the audit event), as a full disk would
    _install_failing_trigger()
    try:
        with pytest.raises(DatabaseError):
            request_file(reporter=kz_reporter, data=RequestInput(
                items=[ItemInput(content_id="kz-0007"), ItemInput(content_id="kz-0003")], category="hate_speech",
                legal_basis=["KZ-CC-174"], requested_action="restrict_in_jurisdiction",
                justification="The posts incite discord between groups of citizens under art. 174."))
    finally:
        _remove_failing_trigger()

    # then: not the request, nor its items, nor its citations were kept
    assert (TakedownRequest.objects.count(), RequestItem.objects.count(), CitedProvision.objects.count(),
            AuditEvent.objects.count(), PendingSeal.objects.count()) == (0, 0, 0, 0, 0)
