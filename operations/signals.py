"""What a Celery worker does as it starts: report that it runs, and resend what a dead worker left behind."""

from __future__ import annotations

import logging

from celery import current_app
from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.utils import timezone

from operations.models import ProcessHeartbeat
from operations.services import heartbeat_record
from review.dispatch import STUCK_REQUESTS_SWEEP_TASK

logger = logging.getLogger(__name__)
_timers: dict[int, object] = {}


@worker_ready.connect
def _worker_started(sender, **kwargs) -> None:
    """``sender`` is the worker's consumer: its timer runs the heartbeat in the worker's main process."""
    every = settings.CRS_WORKER_HEARTBEAT_S
    if every > 0:
        started = timezone.now()

        def report() -> None:
            heartbeat_record(role=ProcessHeartbeat.Role.WORKER, hostname=sender.hostname, started_at=started)

        report()
        _timers[id(sender)] = sender.timer.call_repeatedly(every, report)
    # A worker that starts may be replacing one that was killed: look for its requests now rather
    # than on the sweeper's next beat (the sweep is idempotent; a second run finds nothing to do).
    try:
        current_app.send_task(STUCK_REQUESTS_SWEEP_TASK)
    except Exception as exc:  # broker errors of several types; the beat's sweep comes anyway
        logger.warning("could not send the start-up sweep: %s", exc)


@worker_shutdown.connect
def _worker_stopping(sender, **kwargs) -> None:
    for timer in list(_timers.values()):
        timer.cancel()
    _timers.clear()
