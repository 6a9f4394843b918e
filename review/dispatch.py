"""Starting screening on the Celery workers: by task name, after commit.

The tasks (review/tasks.py) call the services; the services that start screening (filing,
answering, the sweeper) name the task rather than import it, as Zulip's services name their
queues, so that the two never import each other. ``SCREENING_TASKS`` are checked against the
registered tasks by tests/review/test_tasks.py.

A broker outage is not the filer's problem: if the message cannot be sent, the request stays
``submitted`` and the sweeper (``stuck_requests_sweep``) sends it again later.

Single filings are gathered: the first one sends a claim of every waiting filing to run
``CRS_SCREENING_GATHER_MS`` later and marks it pending in the shared cache; the filings that
arrive meanwhile send nothing, and that one claim screens them all as a batch. A burst of
single filings then costs what a bulk call does rather than a task each.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

REQUEST_SCREEN_TASK = "review.tasks.request_screen"
REQUESTS_SCREEN_TASK = "review.tasks.requests_screen"
SUBMITTED_REQUESTS_SCREEN_TASK = "review.tasks.submitted_requests_screen"
SCREENING_TASKS = (REQUEST_SCREEN_TASK, REQUESTS_SCREEN_TASK, SUBMITTED_REQUESTS_SCREEN_TASK)
STUCK_REQUESTS_SWEEP_TASK = "review.tasks.stuck_requests_sweep"

# A batch is split into this many tasks so that each worker process takes a share of it: one per
# worker process (two in the deployment BENCHMARKS.md measures; set CRS_SCREENING_SHARES for more).
# More shares than processes add nothing but tasks: each costs about what screening ten requests
# does, and a queue of bulk calls keeps every process busy without any split.
SCREENING_SHARES = getattr(settings, "CRS_SCREENING_SHARES", 2)
# Shares are never smaller than this many requests, where a task's own cost would dominate.
SCREENING_SHARE_MIN = 10
# A pending claim counts as lost after this long (its message died with the broker, say); the next
# filing then sends another, and the sweeper finds those filed in between.
GATHERING_SECONDS_MAX = 2


def screening_shares(request_ids: list[int]) -> list[list[int]]:
    """``request_ids`` in consecutive slices, one per screening task."""
    ids = list(request_ids)
    size = max(SCREENING_SHARE_MIN, -(-len(ids) // SCREENING_SHARES))
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def screening_enqueue(request_ids: list[int], *, gather: bool = True) -> None:
    """Send requests to screening now.

    One request (a filing, an answer, the sweeper's resend) sends a task that claims every filing
    waiting, unless one is pending already and ``gather`` allows waiting for it (see the module's
    docstring); a batch is split into shares. The sweeper does not gather: a request it resends may
    be one left in ``screening``, which only a claim sent for it takes.
    """
    try:
        if len(request_ids) == 1:
            _claim_send(request_ids[0], gather=gather)
        else:
            _batches_send(request_ids)
    except Exception as exc:  # kombu raises several connection error types; all mean "try later"
        logger.warning("could not enqueue screening of %d request(s) (%s); the sweeper will retry",
                       len(request_ids), exc)


def _gathering_key() -> str:
    # Installations sharing one Redis keep their work apart by queue name, and so do their claims.
    return f"crs.screening.claim-pending:{current_app.conf.task_default_queue}"


def _claim_send(request_id: int, *, gather: bool) -> None:
    window = settings.CRS_SCREENING_GATHER_MS
    if not (window and gather):
        current_app.send_task(SUBMITTED_REQUESTS_SCREEN_TASK, args=[request_id])
        return
    if not cache.add(_gathering_key(), request_id, timeout=GATHERING_SECONDS_MAX):
        return  # a claim is on its way: it takes this filing too
    try:
        current_app.send_task(SUBMITTED_REQUESTS_SCREEN_TASK, args=[request_id], countdown=window / 1000)
    except Exception:
        cache.delete(_gathering_key())  # nothing is pending: the next filing must send a claim
        raise


def claim_started() -> None:
    """Called by the claiming task before it claims: filings committed from now on send a claim of their own.

    Those committed before are seen by the claim, which reads after this; so none is left waiting.
    """
    if settings.CRS_SCREENING_GATHER_MS:
        cache.delete(_gathering_key())


def waiting_claim_on_commit() -> None:
    """Send a claim of the filings still waiting once the current transaction commits (never gathered)."""

    def send() -> None:
        try:
            current_app.send_task(SUBMITTED_REQUESTS_SCREEN_TASK, args=[None])
        except Exception as exc:  # kombu raises several connection error types
            logger.warning("could not enqueue a claim of the waiting filings (%s); the sweeper will retry", exc)

    transaction.on_commit(send)


def _batches_send(request_ids: list[int]) -> None:
    _shares_send(screening_shares(request_ids))


def _shares_send(shares: list[list[int]]) -> None:
    for share in shares:
        current_app.send_task(REQUESTS_SCREEN_TASK, args=[share])


def screening_shares_enqueue_on_commit(shares: list[list[int]]) -> None:
    """Send shares of requests already claimed to batch screening, one task each, once the transaction commits."""
    shares = [list(share) for share in shares if share]

    def send() -> None:
        try:
            _shares_send(shares)
        except Exception as exc:  # kombu raises several connection error types
            logger.warning("could not enqueue screening of %d request(s) (%s); the sweeper will retry",
                           sum(map(len, shares)), exc)

    if shares:
        transaction.on_commit(send)


def queue_depth() -> int:
    """Messages waiting in this installation's queue, as the broker counts them; raises when it cannot say."""
    with current_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        try:
            return conn.default_channel.queue_declare(queue=current_app.conf.task_default_queue,
                                                      passive=True).message_count
        except conn.channel_errors as exc:
            # Redis keeps no trace of an empty queue: "not found" is a depth of zero there.
            if "NOT_FOUND" in str(exc):
                return 0
            raise


def screening_queue_depth() -> int | None:
    """``queue_depth``, or None when the broker cannot be asked (the sweeper then waits longer)."""
    try:
        return queue_depth()
    except Exception as exc:  # kombu raises several connection error types
        logger.warning("could not read the depth of the task queue: %s", exc)
        return None


def screening_enqueue_on_commit(request_ids: list[int], *, gather: bool = True) -> None:
    """Send requests to screening once the current transaction commits (never if it rolls back)."""
    ids = list(request_ids)
    transaction.on_commit(lambda: screening_enqueue(ids, gather=gather))
