"""Celery entry points of the live feed, each named after the service it calls."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from feed import services
from feed.models import DeliveryStatus


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=2, max_retries=5)
def deliveries_create() -> int:
    """Owe subscribers what the log sealed since the last scan (beat runs this every few seconds)."""
    return services.deliveries_create()


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_delivery_send(self, delivery_id: int) -> str | None:
    """One attempt; a failed attempt comes back after the back-off the service scheduled."""
    delivery = services.delivery_send(delivery_id=delivery_id)
    if delivery is None:
        return None  # delivered already, or another worker holds it
    if delivery.status == DeliveryStatus.PENDING:
        raise self.retry(countdown=services.backoff_s(delivery.attempts))
    return delivery.status


@shared_task(acks_late=True)
def deliveries_sweep() -> int:
    return services.deliveries_sweep()
