"""Webhooks end to end: a real receiver on localhost dies mid-stream, returns, and gets every event once."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys

import pytest
from django.conf import settings

from audit import events
from audit.log import log_seal_all
from audit.models import Checkpoint, LogEntry
from feed import signing
from feed.models import FeedCursor, WebhookDelivery, WebhookSubscription
from feed.selectors import feed_entries
from feed.services import deliveries_create
from reports.models import TakedownRequest
from tests.builders import filed
from tests.factories import UserFactory
from tests.processes import free_port, lines_of, read_until
from tests.waiting import wait_until

pytestmark = pytest.mark.worker


def _receiver(port: int, secret: str, log, die_at: int | None = None) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.feed.receiver", str(port), secret, str(log),
         *([str(die_at)] if die_at else [])],
        cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    read_until(lines_of(process), "listening", timeout=20)
    return process


def test_a_receiver_killed_mid_stream_gets_every_event_exactly_once_after_it_returns(
        celery_worker, kz_reporter, harmless_content_code, settings, tmp_path):
    # given: quick back-off, a subscription to every topic, and a receiver that dies on its third delivery
    settings.CRS_WEBHOOK_BACKOFF_MS = 200
    port, log = free_port(), tmp_path / "received.ndjson"
    subscription = WebhookSubscription.objects.create(
        exercise=kz_reporter.exercise, owner=UserFactory(username="integrator"), url=f"http://127.0.0.1:{port}/hook")
    first = _receiver(port, subscription.secret, log, die_at=3)
    try:
        # when: five requests are filed and screened by the worker, the log is sealed and scanned
        for _ in range(5):
            filed(kz_reporter, harmless_content_code, requested_action="restrict_in_jurisdiction")
        wait_until(lambda: not TakedownRequest.objects.filter(status__in=["submitted", "screening"]).exists(),
                   timeout=60, message="screening to finish")
        log_seal_all()
        deliveries_create()
        first.wait(timeout=60)  # it died on the third delivery
        wait_until(lambda: WebhookDelivery.objects.filter(attempts__gte=2, status="pending").exists(), timeout=30,
                   message="a delivery to be retried while the receiver is down")
        second = _receiver(port, subscription.secret, log)
        try:
            wait_until(lambda: not WebhookDelivery.objects.exclude(status="delivered").exists(), timeout=90,
                       message="every delivery to be delivered")
        finally:
            second.terminate()
            second.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()

    # then: every event of the five topics and the checkpoint, received once each, signed correctly
    expected = {str(entry.event.uid) for entry in feed_entries(exercise=kz_reporter.exercise)}
    expected |= {f"checkpoint-{size}" for size in Checkpoint.objects.values_list("tree_size", flat=True)}
    received = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    ids = [r["id"] for r in received]
    assert sorted(ids) == sorted(expected), "each event exactly once"
    assert len(expected) >= 11  # five filed, five routed, one checkpoint
    assert all(r["valid"] and r["body_id"] == r["id"] for r in received)
    deliveries = WebhookDelivery.objects.all()
    assert deliveries.count() == len(expected)
    assert max(d.attempts for d in deliveries) >= 2  # the one in flight when it died, and those sent while down
    assert {d.topic for d in deliveries} == {"filed", "routed", "checkpoint"}


def test_a_second_scan_owes_nothing_twice(kz_reporter, harmless_content_code, django_capture_on_commit_callbacks):
    # given
    WebhookSubscription.objects.create(exercise=kz_reporter.exercise, owner=UserFactory(username="integrator"),
                                       url="http://127.0.0.1:9/hook", topics=["filed", "checkpoint"])
    filed(kz_reporter, harmless_content_code)
    log_seal_all()

    # when: the scan runs, and runs again over the same entries (the cursor put back)
    with django_capture_on_commit_callbacks() as sent:
        deliveries_create()
    FeedCursor.objects.filter(pk=1).update(next_index=0, checkpoint_size=0)
    deliveries_create()

    # then
    assert sorted(WebhookDelivery.objects.values_list("topic", flat=True)) == ["checkpoint", "filed"]
    assert len(sent) == 1  # the sends are enqueued after commit, once


def test_the_scan_passes_events_no_topic_carries(kz_reporter, harmless_content_code):
    # given: a request filed (a feed event), then events of other types only (an export, a token)
    WebhookSubscription.objects.create(exercise=kz_reporter.exercise, owner=UserFactory(username="integrator"),
                                       url="http://127.0.0.1:9/hook", topics=["filed"])
    filed(kz_reporter, harmless_content_code)
    log_seal_all()
    deliveries_create()
    events.export_created_event(actor=None, kind="requests.csv", filters={}, exercise=kz_reporter.exercise)
    log_seal_all()

    # when
    deliveries_create()

    # then: the cursor stands after the last sealed entry, and the one filed event is owed once
    assert FeedCursor.objects.get(pk=1).next_index == LogEntry.objects.count()
    assert list(WebhookDelivery.objects.values_list("topic", flat=True)) == ["filed"]


def test_the_signature_is_stripe_style_hmac_of_timestamp_and_body():
    header = signing.signature_header(secret="s3cret", timestamp=1638442200, body=b'{"a":1}')

    assert header == "t=1638442200,v1=" + hmac.new(b"s3cret", b'1638442200.{"a":1}', hashlib.sha256).hexdigest()
    assert signing.signature_valid(secret="s3cret", header=header, body=b'{"a":1}', now=1638442200 + 10)
    assert not signing.signature_valid(secret="s3cret", header=header, body=b'{"a":2}', now=1638442200)
    assert not signing.signature_valid(secret="other", header=header, body=b'{"a":1}', now=1638442200)
    assert not signing.signature_valid(secret="s3cret", header=header, body=b'{"a":1}', now=1638442200 + 301)
