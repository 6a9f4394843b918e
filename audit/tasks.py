"""Celery entry points of the audit trail, each named after the service it calls."""

from __future__ import annotations

from celery import shared_task

from audit import log, witnessing

# Backoff for a witness that is down: 5 s, 10 s, 20 s ... at most 5 minutes; beat's catch-up covers the rest.
WITNESS_RETRY_MAX_S = 300


@shared_task(acks_late=True)
def log_seal_all() -> int | None:
    """Seal what is pending (beat runs this every few seconds); returns the new tree size."""
    checkpoint = log.log_seal_all()
    return checkpoint.tree_size if checkpoint else None


@shared_task(bind=True, acks_late=True, max_retries=6, soft_time_limit=60, time_limit=90)
def checkpoint_witness(self, name: str) -> int | None:
    """Have one witness cosign the latest checkpoint; returns the size cosigned."""
    try:
        cosignature = witnessing.checkpoint_witness(name=name)
    except witnessing.WitnessUnavailable as error:
        raise self.retry(exc=error, countdown=min(WITNESS_RETRY_MAX_S, 5 * 2 ** self.request.retries)) from None
    return cosignature.checkpoint_id if cosignature else None


@shared_task(acks_late=True)
def checkpoints_witness() -> list[str]:
    """Queue a submission for every witness that has not cosigned the latest checkpoint (beat, every minute)."""
    behind = witnessing.witnesses_behind()
    for name in behind:
        checkpoint_witness.delay(name)
    return behind
