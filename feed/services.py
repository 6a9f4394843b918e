"""The live feed's writes: owing deliveries for what the log sealed, and sending them, signed and retried.

Design (ARCHITECTURE.md, "The live feed"): events are taken from the transparency log, not
from the code that writes them. ``deliveries_create`` reads the sealed entries after the
cursor, writes one WebhookDelivery per subscription and event (unique, so a second scan writes
nothing) and moves the cursor, all in one transaction under a row lock: an entry is either
scanned with its deliveries written or not scanned at all. Sending happens after commit; a
delivery is claimed by a conditional UPDATE before each attempt, so two workers (a retried
task and the sweep's copy) never send one attempt twice. A receiver may still see an event
again when its answer is lost (it timed out or died after reading): deliveries are at least
once, and the event id (``CRS-Event-Id``) lets a receiver drop the copy.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from audit.models import Checkpoint, LogEntry
from feed import signing
from feed.models import DeliveryStatus, FeedCursor, WebhookDelivery, WebhookSubscription
from feed.selectors import EVENT_TYPES_OF_TOPIC, checkpoint_entry, event_entry, feed_entries

logger = logging.getLogger(__name__)

SCAN_BATCH = 1000  # log entries per scanning transaction
DELIVERY_SEND_TASK = "feed.tasks.webhook_delivery_send"  # named: the task module calls this one
USER_AGENT = "crs-simulator-webhooks/1"
MAX_ERROR_CHARS = 500


def _body(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def delivery_enqueue(delivery_id: int, *, countdown: float = 0) -> None:
    try:
        current_app.send_task(DELIVERY_SEND_TASK, args=[delivery_id], countdown=countdown)
    except Exception:  # kombu raises several connection error types; the sweep sends it later
        logger.warning("could not enqueue webhook delivery %s", delivery_id, exc_info=True)


def _enqueue_after_commit(ids: list[int]) -> None:
    transaction.on_commit(lambda: [delivery_enqueue(pk) for pk in ids])


def deliveries_create(*, batch: int = SCAN_BATCH) -> int:
    """Owe each subscription the sealed events (and checkpoints) after the cursor; returns entries scanned.

    Safe to run at any time and by two workers at once (the cursor row is locked); the
    deliveries it writes are sent after commit.
    """
    with transaction.atomic():
        # The migration creates the row; a database emptied since (``flush``) has none until now.
        FeedCursor.objects.get_or_create(pk=1)
        cursor = FeedCursor.objects.select_for_update().get(pk=1)
        # Sequencers commit whole batches one after the other, so every index up to the largest
        # one visible now is visible too: the scan may pass events of other types up to it.
        upper = LogEntry.objects.aggregate(upper=Max("index"))["upper"]
        if upper is None:
            return 0
        entries = list(feed_entries(after=cursor.next_index - 1).filter(index__lte=upper)[:batch])
        scanned_to = entries[-1].index + 1 if len(entries) == batch else max(upper + 1, cursor.next_index)
        # Checkpoints are announced once the scan has passed every leaf they cover.
        checkpoints = list(Checkpoint.objects.filter(tree_size__gt=cursor.checkpoint_size, tree_size__lte=scanned_to)
                           .order_by("tree_size"))
        subscriptions = list(WebhookSubscription.objects.filter(active=True))
        now = timezone.now()
        owed = []
        for entry in entries:
            event = entry.event
            for subscription in subscriptions:
                if (subscription.exercise_id == event.exercise_id and entry.index >= subscription.start_index
                        and any(event.event_type in EVENT_TYPES_OF_TOPIC[t] for t in subscription.topics
                                if t in EVENT_TYPES_OF_TOPIC)):
                    document = event_entry(entry)
                    owed.append(WebhookDelivery(subscription=subscription, event_id=document["uid"],
                                                topic=document["topic"], log_index=entry.index,
                                                body=_body(document), next_attempt_at=now))
        for checkpoint in checkpoints:
            for subscription in subscriptions:
                if "checkpoint" in subscription.topics and checkpoint.tree_size > subscription.start_index:
                    document = checkpoint_entry(checkpoint)
                    owed.append(WebhookDelivery(subscription=subscription, event_id=document["id"],
                                                topic="checkpoint", body=_body(document), next_attempt_at=now))
        WebhookDelivery.objects.bulk_create(owed, ignore_conflicts=True)
        FeedCursor.objects.filter(pk=1).update(
            next_index=scanned_to,
            checkpoint_size=checkpoints[-1].tree_size if checkpoints else cursor.checkpoint_size)
        due = list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now)
                   .values_list("id", flat=True))
        _enqueue_after_commit(due)
    return len(entries)


def backoff_s(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: the base doubled per attempt so far, capped."""
    base = settings.CRS_WEBHOOK_BACKOFF_MS / 1000
    return min(base * 2 ** max(attempts - 1, 0), settings.CRS_WEBHOOK_BACKOFF_MAX_S)


def _claimable(now) -> Q:
    lease = timedelta(seconds=settings.CRS_WEBHOOK_TIMEOUT_S * 3)
    return (Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, last_attempt_at__lt=now - lease))


def delivery_send(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt at a due delivery, signed; returns it, or None if it was not due (sent, or in hand).

    A 2xx answer delivers it; anything else (an error status, a refused connection, a
    timeout) schedules the next attempt with exponential back-off, until the attempts run out.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    body = delivery.body.encode("utf-8")
    timestamp = int(time.time())
    url = delivery.subscription.url
    if not url.lower().startswith(("http://", "https://")):  # the model's URLField allows these two only
        raise ValueError(f"webhook URL {url!r} is not http or https")
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 (scheme checked above)
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        signing.SIGNATURE_HEADER: signing.signature_header(secret=delivery.subscription.secret, timestamp=timestamp,
                                                           body=body),
        signing.EVENT_ID_HEADER: delivery.event_id, signing.TOPIC_HEADER: delivery.topic,
        signing.ATTEMPT_HEADER: str(delivery.attempts)})
    code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.CRS_WEBHOOK_TIMEOUT_S) as response:  # noqa: S310
            code = response.status
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:  # refused, reset, timed out, bad address
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    mine = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING, attempts=delivery.attempts)
    finished = timezone.now()
    if code is not None and 200 <= code < 300:
        mine.update(status=DeliveryStatus.DELIVERED, delivered_at=finished, last_status_code=code, last_error="")
    elif delivery.attempts >= settings.CRS_WEBHOOK_MAX_ATTEMPTS:
        mine.update(status=DeliveryStatus.FAILED, last_status_code=code, last_error=error)
    else:
        mine.update(status=DeliveryStatus.PENDING, last_status_code=code, last_error=error,
                    next_attempt_at=finished + timedelta(seconds=backoff_s(delivery.attempts)))
    return WebhookDelivery.objects.get(pk=delivery_id)


def deliveries_sweep() -> int:
    """Enqueue again what is due and has no task in hand (a lost message, a worker that died): how many."""
    grace = timedelta(seconds=max(settings.CRS_WEBHOOK_BACKOFF_MS / 1000, 1) * 2)
    ids = list(WebhookDelivery.objects.filter(_claimable(timezone.now() - grace)).values_list("id", flat=True)[:1000])
    for pk in ids:
        delivery_enqueue(pk)
    return len(ids)
