"""Two reviewers at the same moment, each on its own database connection: one claim, one decision.

Each thread gets its own connection (Django opens one per thread), so these races run
through PostgreSQL's row locks and conditional updates exactly as two web workers would.
SQLite serialises writers on one file and has no row locks, so the races only mean
something on PostgreSQL.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from audit.models import AuditEvent
from reports.errors import IllegalTransition, NotAllowed
from reports.models import Status, TakedownRequest
from review.models import Decision
from review.services import item_decide, request_claim, request_claim_next

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent writers need PostgreSQL"),
]

ROUNDS = 5


def race(*actions):
    """Run the actions at the same moment in threads; return each one's result or exception."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = action()
        except Exception as exc:  # the outcome under test, asserted by the caller
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    return outcomes


def test_two_reviewers_cannot_claim_the_same_request(file_request, policy_reviewer, senior_reviewer):
    for _ in range(ROUNDS):
        takedown = file_request("policy")

        outcomes = race(lambda t=takedown: request_claim(reviewer=policy_reviewer, request=t),
                        lambda t=takedown: request_claim(reviewer=senior_reviewer, request=t))

        won = [o for o in outcomes if isinstance(o, TakedownRequest)]
        lost = [o for o in outcomes if isinstance(o, IllegalTransition)]
        assert (len(won), len(lost)) == (1, 1), outcomes
        assert str(lost[0]) == f"{takedown.reference} cannot be claimed while it is in review."
        takedown.refresh_from_db()
        assert takedown.status == Status.IN_REVIEW
        assert takedown.claimed_by_id == won[0].claimed_by_id
        assert AuditEvent.objects.filter(request=takedown, event_type="request_claimed").count() == 1


def test_two_reviewers_claiming_next_get_different_requests(file_request, policy_reviewer, senior_reviewer):
    for _ in range(ROUNDS):
        first, second = file_request("policy"), file_request("policy")

        outcomes = race(lambda: request_claim_next(reviewer=policy_reviewer, queue="policy"),
                        lambda: request_claim_next(reviewer=senior_reviewer, queue="policy"))

        assert all(isinstance(o, TakedownRequest) for o in outcomes), outcomes
        assert {o.pk for o in outcomes} == {first.pk, second.pk}
        for takedown in (first, second):
            assert AuditEvent.objects.filter(request=takedown, event_type="request_claimed").count() == 1
        assert set(TakedownRequest.objects.filter(pk__in=[first.pk, second.pk])
                   .values_list("claimed_by", flat=True)) == {policy_reviewer.pk, senior_reviewer.pk}


def test_a_request_cannot_be_decided_twice(file_request, policy_reviewer):
    for _ in range(ROUNDS):
        # given: the reviewer holds the request and submits the decision twice at once (a double click)
        takedown = file_request("policy")
        request_claim(reviewer=policy_reviewer, request=takedown)
        item = takedown.items.get()

        def decide(action: str, reason: str, item=item):
            return item_decide(reviewer=policy_reviewer, item=item, action=action, reason_code=reason,
                               rationale="A call to violence against the police.")

        # when
        outcomes = race(lambda: decide("remove_globally", "policy_violation"),
                        lambda: decide("no_action", "not_unlawful"))

        # then: one decision stands; the other found the request already decided
        won = [o for o in outcomes if isinstance(o, Decision)]
        lost = [o for o in outcomes if isinstance(o, IllegalTransition | NotAllowed)]
        assert (len(won), len(lost)) == (1, 1), outcomes
        assert Decision.objects.filter(request=takedown).count() == 1
        assert AuditEvent.objects.filter(request=takedown, event_type="item_decided").count() == 1
        assert AuditEvent.objects.filter(request=takedown, event_type="request_decided").count() == 1
        takedown.refresh_from_db()
        assert (takedown.status, takedown.claimed_by) == (Status.DECIDED, None)
