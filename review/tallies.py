"""The transparency counts kept on each request row, and how to recount them from the records.

``TakedownRequest.item_count`` is the number of items the request names; ``items_removed``,
``items_restricted`` and ``items_no_action`` count the decisions of review round ``tally_round``.
They describe the latest round only while ``tally_round`` equals ``review_round``: a new round
makes them count as undecided until its first decision. Filing and ``item_decide`` keep them in
the transactions that change the records; ``manage.py figures_check`` recounts them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from reports.models import RequestItem, TakedownRequest
from review.models import Decision, DecisionAction, ItemOutcome

# Which kept count each decision action adds to, and which outcome of the report that count is.
TALLY_OF_ACTION = {
    DecisionAction.REMOVE_GLOBALLY.value: "items_removed",
    DecisionAction.RESTRICT_IN_JURISDICTION.value: "items_restricted",
    DecisionAction.NO_ACTION.value: "items_no_action",
}
OUTCOME_OF_TALLY = {
    "items_removed": ItemOutcome.REMOVED_POLICY_VIOLATION.value,
    "items_restricted": ItemOutcome.RESTRICTED_LOCALLY.value,
    "items_no_action": ItemOutcome.NO_ACTION.value,
}
TALLIES = tuple(TALLY_OF_ACTION.values())


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("request_id").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def recounted() -> dict[str, models.Expression]:
    """Each kept count recounted from the items and decisions, for ``annotate`` or ``update`` of requests."""
    latest = Decision.objects.filter(request=OuterRef("pk"), round=OuterRef("review_round"))
    return {
        "item_count": _count(RequestItem.objects.filter(request=OuterRef("pk"))),
        "tally_round": F("review_round"),
        **{tally: _count(latest.filter(action=action)) for action, tally in TALLY_OF_ACTION.items()},
    }


def requests_with_wrong_tallies(queryset: QuerySet[TakedownRequest]) -> QuerySet[TakedownRequest]:
    """The requests whose kept counts differ from a recount, with the recount as ``recounted_<field>``.

    Counts of an older round and zeros mean the same to the report, so only what it reads is compared.
    """
    recount = {f"recounted_{name}": value for name, value in recounted().items() if name != "tally_round"}
    differs = ~Q(item_count=F("recounted_item_count"))
    for tally in TALLIES:
        differs |= ~Q(**{f"kept_{tally}": F(f"recounted_{tally}")})
    return (queryset.annotate(**recount, **{f"kept_{tally}": F(f"latest_{tally}") for tally in TALLIES})
            .filter(differs))
