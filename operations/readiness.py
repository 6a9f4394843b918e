"""Readiness: is the product doing its work, not only answering?

Liveness (``/healthz``) says the web process answers. Readiness says whether the product
keeps its promises: the database and the broker answer, a worker answers, beat runs, and
every event of the audit trail is sealed into a signed checkpoint within a bounded time.
One function, ``readiness_report``, builds the report that ``/readyz``, the admin's index
and the operators' tools all read.

Workers and beat report that they run every few seconds (operations.ProcessHeartbeat, in
this installation's own database, so installations sharing one Redis never vouch for each
other). It is not ready (HTTP 503) when the database is unreachable, when no worker reports, or
when events have waited longer than ``CRS_READY_MAX_SEAL_LAG`` to be sealed: the case in
which the log has silently stopped being sealed. Everything else is reported, not judged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from audit.selectors import witness_statuses
from operations import selectors
from operations.models import ProcessHeartbeat
from reports.models import Status, TakedownRequest
from review import dispatch


@dataclass
class Readiness:
    ready: bool
    problems: list[str]
    checks: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"status": "ready" if self.ready else "not ready", "problems": self.problems, "checks": self.checks}


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round((now - moment).total_seconds(), 1)


def _timed(probe):
    started = time.perf_counter()
    try:
        value = probe()
        return True, value, None, round((time.perf_counter() - started) * 1000, 1)
    except Exception as exc:  # the report says what failed; any error of the probe means "unreachable"
        return False, None, f"{type(exc).__name__}: {exc}", round((time.perf_counter() - started) * 1000, 1)


def _database_probe() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _queue_depths() -> dict[str, int]:
    return {current_app.conf.task_default_queue: dispatch.queue_depth()}


def log_status(*, now: datetime) -> dict:
    sealing = selectors.log_sealing()
    return {
        "unsealed_events": sealing.unsealed,
        "oldest_unsealed_event_age_seconds": _age(sealing.oldest_unsealed_at, now),
        "max_seal_lag_seconds": settings.CRS_READY_MAX_SEAL_LAG.total_seconds(),
        "latest_checkpoint_tree_size": sealing.tree_size,
        "latest_checkpoint_age_seconds": _age(sealing.latest_checkpoint_at, now),
    }


def screening_status(*, now: datetime) -> dict:
    return {
        "waiting": TakedownRequest.objects.filter(status__in=[Status.SUBMITTED, Status.SCREENING]).count(),
        # Idle past the sweeper's threshold: a lost message or a killed worker, which the sweeper resends.
        "stuck": selectors.requests_stuck_in_screening(now=now),
        "stuck_after_seconds": settings.CRS_SWEEP_AFTER.total_seconds(),
    }


def witness_status(*, now: datetime, tree_size: int) -> dict:
    """Each configured witness's last cosigned size: reported, never judged (a witness that is down delays
    only its own cosignature; receipts wait for the quorum)."""
    return {
        "quorum": settings.CRS_LOG_WITNESS_QUORUM,
        "witnesses": [{"name": w.name, "cosigned_size": w.cosigned_size, "behind": tree_size - w.cosigned_size,
                       "cosigned_age_seconds": _age(w.cosigned_at, now), "last_error": w.last_error or None}
                      for w in witness_statuses()],
    }


def _process_status(heartbeats: list[ProcessHeartbeat], role: str, *, now: datetime) -> dict:
    stale = settings.CRS_READY_PROCESS_STALE.total_seconds()
    ages = {h.hostname: _age(h.seen_at, now) for h in heartbeats if h.role == role}
    alive = [host for host, age in ages.items() if age <= stale]
    return {"ok": bool(alive), "alive": alive, "last_seen_age_seconds": ages}


def readiness_report(*, now: datetime | None = None) -> Readiness:
    now = now or timezone.now()
    checks: dict = {}
    ok, _value, error, ms = _timed(_database_probe)
    checks["database"] = {"ok": ok, "ms": ms, **({"error": error} if error else {})}
    if not ok:
        return Readiness(False, ["The database does not answer."], checks)
    ok, depths, error, ms = _timed(_queue_depths)
    checks["broker"] = {"ok": ok, "ms": ms, "queues": depths or {}, **({"error": error} if error else {})}
    try:
        heartbeats = list(ProcessHeartbeat.objects.all())
        checks["workers"] = _process_status(heartbeats, ProcessHeartbeat.Role.WORKER, now=now)
        checks["beat"] = _process_status(heartbeats, ProcessHeartbeat.Role.BEAT, now=now)
        log = log_status(now=now)
        checks["screening"] = screening_status(now=now)
        checks["witnesses"] = witness_status(now=now, tree_size=log["latest_checkpoint_tree_size"])
    except DatabaseError as exc:
        checks["database"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        return Readiness(False, ["The database does not answer."], checks)
    lag = log["oldest_unsealed_event_age_seconds"]
    checks["log"] = {"ok": lag is None or lag <= log["max_seal_lag_seconds"], **log}

    problems = []
    if not checks["broker"]["ok"]:
        problems.append("The broker (task queue) does not answer: filings are stored but not screened.")
    if not checks["workers"]["ok"]:
        problems.append("No Celery worker has reported recently: nothing is screened and the log is not sealed.")
    if not checks["beat"]["ok"]:
        problems.append("Celery beat has not reported recently: nothing seals the log or resends lost requests.")
    if not checks["log"]["ok"]:
        problems.append(f"Audit events have waited {lag:.0f} s to be sealed (at most "
                        f"{log['max_seal_lag_seconds']:.0f} s allowed): the log is not being sealed.")
    return Readiness(checks["workers"]["ok"] and checks["log"]["ok"], problems, checks)
