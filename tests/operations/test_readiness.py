"""Readiness: /readyz and the admin's index say whether the installation does its work, and why not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.log import log_seal
from audit.models import AuditEvent, WitnessState
from operations.models import ProcessHeartbeat
from operations.readiness import readiness_report
from tests.builders import filed
from tests.factories import UserFactory
from tests.reading import visible_text

pytestmark = pytest.mark.django_db


def running(role: str, *, seconds_ago: float = 1, hostname: str = "host-a", at=None) -> None:
    now = at or timezone.now()
    ProcessHeartbeat.objects.update_or_create(role=role, hostname=hostname, defaults={
        "pid": 1, "started_at": now - timedelta(hours=1), "seen_at": now - timedelta(seconds=seconds_ago)})


@pytest.fixture
def worker_and_beat():
    running(ProcessHeartbeat.Role.WORKER, hostname="celery@host-a")
    running(ProcessHeartbeat.Role.BEAT)


def test_ready_when_a_worker_and_beat_report_and_every_event_is_sealed(client, worker_and_beat, kz_reporter,
                                                                        harmless_content_code):
    filed(kz_reporter, harmless_content_code)
    log_seal()

    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["problems"] == []
    assert body["checks"]["log"]["unsealed_events"] == 0
    assert body["checks"]["log"]["latest_checkpoint_tree_size"] == AuditEvent.objects.count()
    assert body["checks"]["screening"]["waiting"] == 1
    assert body["checks"]["workers"]["alive"] == ["celery@host-a"]


def test_not_ready_when_events_wait_longer_than_the_allowed_lag(kz_reporter, harmless_content_code, settings):
    filed(kz_reporter, harmless_content_code)
    later = timezone.now() + settings.CRS_READY_MAX_SEAL_LAG + timedelta(seconds=5)
    running(ProcessHeartbeat.Role.WORKER, hostname="celery@host-a", at=later)
    running(ProcessHeartbeat.Role.BEAT, at=later)

    report = readiness_report(now=later).as_dict()  # the events are append-only: time moves, not they

    assert report["status"] == "not ready"
    assert report["checks"]["log"]["ok"] is False and report["checks"]["log"]["unsealed_events"] > 0
    assert report["checks"]["workers"]["ok"] and report["checks"]["beat"]["ok"]
    assert any("not being sealed" in problem for problem in report["problems"])


def test_events_waiting_less_than_the_lag_keep_it_ready(client, worker_and_beat, kz_reporter, harmless_content_code):
    filed(kz_reporter, harmless_content_code)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["log"]["unsealed_events"] > 0


def test_not_ready_when_no_worker_has_reported_recently(client, settings):
    stale = settings.CRS_READY_PROCESS_STALE.total_seconds()
    running(ProcessHeartbeat.Role.WORKER, seconds_ago=stale + 1, hostname="celery@gone")
    running(ProcessHeartbeat.Role.BEAT)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["workers"] == {"ok": False, "alive": [],
                                         "last_seen_age_seconds": {"celery@gone": pytest.approx(stale + 1, abs=2)}}
    assert any("No Celery worker" in problem for problem in body["problems"])


def test_a_stopped_beat_is_reported_but_judged_by_the_lag_it_causes(client, settings):
    running(ProcessHeartbeat.Role.WORKER, hostname="celery@host-a")
    running(ProcessHeartbeat.Role.BEAT, seconds_ago=settings.CRS_READY_PROCESS_STALE.total_seconds() + 1)

    body = client.get("/readyz").json()

    assert body["checks"]["beat"]["ok"] is False
    assert any("beat" in problem for problem in body["problems"])


def test_administrators_read_the_same_status_in_words_on_the_admin_index(client, settings):
    running(ProcessHeartbeat.Role.BEAT)  # no worker
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    page = client.get("/admin/")

    text = visible_text(page.content.decode())
    assert "This installation: not working as it should" in text
    assert "No Celery worker has reported recently" in text
    assert "Celery beat (seals the log) running on host-a" in text


def test_reviewers_do_not_see_the_installation_panel(client, policy_reviewer):
    client.force_login(policy_reviewer)

    text = visible_text(client.get("/admin/").content.decode())

    assert "This installation" not in text


def test_each_witness_s_last_cosigned_size_is_reported_and_a_lagging_one_changes_no_verdict(
        client, worker_and_beat, kz_reporter, harmless_content_code, settings):
    filed(kz_reporter, harmless_content_code)
    log_seal()
    settings.CRS_LOG_WITNESSES = [{"name": "witness.ngo.example", "vkey": "unused", "url": "http://127.0.0.1:9"},
                                  {"name": "witness.university.example", "vkey": "unused", "url": "http://127.0.0.1:9"}]
    WitnessState.objects.create(name="witness.ngo.example", cosigned_size=3, cosigned_at=timezone.now())
    WitnessState.objects.create(name="witness.university.example", last_error="connection refused",
                                last_error_at=timezone.now())
    size = AuditEvent.objects.count()

    response = client.get("/readyz")

    assert response.status_code == 200
    witnesses = {w["name"]: w for w in response.json()["checks"]["witnesses"]["witnesses"]}
    assert witnesses["witness.ngo.example"]["cosigned_size"] == 3
    assert witnesses["witness.ngo.example"]["behind"] == size - 3
    assert witnesses["witness.university.example"] == {
        "name": "witness.university.example", "cosigned_size": 0, "behind": size, "cosigned_age_seconds": None,
        "last_error": "connection refused"}

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    text = visible_text(client.get("/admin/").content.decode())
    assert f"Witness witness.ngo.example cosigned the log at 3 events ({size - 3} behind)" in text
    assert "Witness witness.university.example has not cosigned yet; last attempt failed: connection refused" in text
