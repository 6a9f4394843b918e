"""Celery entry points of the workflow, each named after the service it calls: load by id, call, return."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from review import dispatch, services

TASK_OPTIONS = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": 2,
                "retry_kwargs": {"max_retries": 5}}


@shared_task(**TASK_OPTIONS)
def request_screen(request_id: int) -> None:
    services.request_screen(request_id=request_id)


@shared_task(**TASK_OPTIONS)
def requests_screen(request_ids: list[int]) -> None:
    services.requests_screen(request_ids=request_ids)


@shared_task(**TASK_OPTIONS)
def submitted_requests_screen(request_id: int | None = None) -> None:
    dispatch.claim_started()
    services.submitted_requests_screen(request_id=request_id)


@shared_task(acks_late=True)
def sla_watch() -> int:
    return services.sla_watch()


@shared_task(acks_late=True)
def stuck_requests_sweep() -> int:
    return len(services.stuck_requests_sweep(queue_depth=dispatch.screening_queue_depth()))


@shared_task(acks_late=True)
def claims_expire() -> int:
    return services.claims_expire()


@shared_task(acks_late=True)
def decided_requests_close() -> int:
    return services.decided_requests_close()
