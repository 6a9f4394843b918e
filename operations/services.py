"""Writes of the operations app: processes saying that they run."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime

from django.db import DatabaseError
from django.utils import timezone

from operations.models import ProcessHeartbeat

logger = logging.getLogger(__name__)


def heartbeat_record(*, role: str, started_at: datetime, hostname: str | None = None,
                     pid: int | None = None) -> bool:
    """Say that this process (``role`` on this host) runs now. A database outage is logged, never raised:
    a scheduler that stops for want of a heartbeat would stop sealing the log too."""
    try:
        ProcessHeartbeat.objects.update_or_create(
            role=role, hostname=hostname or socket.gethostname(),
            defaults={"pid": pid or os.getpid(), "started_at": started_at, "seen_at": timezone.now()})
    except DatabaseError as exc:
        logger.warning("could not record the %s heartbeat: %s", role, exc)
        return False
    return True
