"""Celery beat's scheduler, which also says that it runs.

Beat is the process that seals the audit log (it sends ``log_seal_all`` every few seconds),
so the readiness check must know when it last ran: this scheduler records a heartbeat
(operations.ProcessHeartbeat) as it ticks. It also makes its schedule file's folder, so a
beat started with ``--schedule`` anywhere, or inside a worker with ``-B``, cannot crash on a
folder that is not there.

Settings name it as ``CELERY_BEAT_SCHEDULER``, so ``celery beat`` and ``celery worker -B``
both use it.
"""

from __future__ import annotations

import time
from pathlib import Path

from celery.beat import PersistentScheduler
from django.utils import timezone

from operations.models import ProcessHeartbeat
from operations.services import heartbeat_record

# Seconds between two heartbeats; the readiness check allows several missed ones.
HEARTBEAT_EVERY = 5.0


class HeartbeatScheduler(PersistentScheduler):
    def setup_schedule(self):
        folder = Path(self.schedule_filename).resolve().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SystemExit(f"Celery beat cannot create the folder of its schedule file {folder} "
                             f"({exc.strerror or exc}); pass --schedule a path this user can write.") from None
        self._started_at = timezone.now()
        self._last_heartbeat = 0.0
        super().setup_schedule()

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        # A tick lands a few milliseconds early as often as late: allow for it, or half the beats are skipped.
        if now - self._last_heartbeat >= HEARTBEAT_EVERY * 0.9:
            self._last_heartbeat = now
            heartbeat_record(role=ProcessHeartbeat.Role.BEAT, started_at=self._started_at)
        return min(interval, HEARTBEAT_EVERY)
