"""Celery entry points of the audit trail, each named after the service it calls."""

from __future__ import annotations

from celery import shared_task

from audit import log


@shared_task(acks_late=True)
def log_seal_all() -> int | None:
    """Seal what is pending (beat runs this every few seconds); returns the new tree size."""
    checkpoint = log.log_seal_all()
    return checkpoint.tree_size if checkpoint else None
