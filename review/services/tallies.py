"""Writes of the transparency counts kept on request rows (see review/tallies.py)."""

from __future__ import annotations

from django.db.models import F, QuerySet, Value

from reports.models import TakedownRequest
from review.tallies import TALLIES, TALLY_OF_ACTION, recounted


def request_decision_tally(*, request: TakedownRequest, action: str) -> None:
    """Count one more decision of the request's current round, in one UPDATE (call inside the decision's transaction).

    The first decision of a new round starts the counts afresh: every right-hand side reads the
    row as it was, and its ``latest_`` counts (computed by the database) are zero once a newer round
    has opened.
    """
    added = TALLY_OF_ACTION[action]
    TakedownRequest.objects.filter(pk=request.pk).update(
        tally_round=F("review_round"),
        **{tally: F(f"latest_{tally}") + Value(1 if tally == added else 0) for tally in TALLIES})


def request_tallies_rebuild(*, requests: QuerySet[TakedownRequest]) -> int:
    """Recount the kept counts of these requests from their items and decisions; returns how many rows were written."""
    return requests.order_by().update(**recounted())
