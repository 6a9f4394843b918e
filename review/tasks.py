"""Celery entry points of the workflow: load by id, call a service, return."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from review import services

TASK_OPTIONS = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": 2,
                "retry_kwargs": {"max_retries": 5}}


@shared_task(**TASK_OPTIONS)
def screen_request(request_id: int) -> None:
    services.request_screen(request_id=request_id)


@shared_task(**TASK_OPTIONS)
def screen_requests(request_ids: list[int]) -> None:
    """A bulk filing's requests, one after the other; a retry skips those already screened."""
    for request_id in request_ids:
        services.request_screen(request_id=request_id)


@shared_task(acks_late=True)
def watch_sla() -> int:
    return services.sla_watch()


@shared_task(acks_late=True)
def sweep_stuck_requests() -> int:
    return len(services.stuck_requests_sweep())


@shared_task(acks_late=True)
def expire_stale_claims() -> int:
    return services.claims_expire()


@shared_task(acks_late=True)
def close_decided_requests() -> int:
    return services.decided_requests_close()
