"""Celery entry points of the auditors' exports, each named after the service it calls."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from transparency import exports

# A million-row export takes minutes; the default task limits are sized for screening.
EXPORT_TIME_LIMIT_S = 2 * 60 * 60
EXPORT_RETRY_S = int(exports.HEARTBEAT_STALE_AFTER.total_seconds())


@shared_task(bind=True, acks_late=True, time_limit=EXPORT_TIME_LIMIT_S, soft_time_limit=EXPORT_TIME_LIMIT_S - 60,
             autoretry_for=(OperationalError,), retry_backoff=2, max_retries=5)
def export_job_run(self, job_id: str) -> None:
    try:
        exports.export_job_run(job_id=job_id)
    except exports.ExportBusy as busy:
        # Another worker holds the job; look again once its heartbeat would have gone stale.
        raise self.retry(countdown=EXPORT_RETRY_S, max_retries=None, exc=busy) from busy
