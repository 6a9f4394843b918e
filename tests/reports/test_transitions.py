"""The status machine: only the transitions in PRODUCT.md, and an illegal one changes nothing."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from filing.inputs import ItemInput, RequestInput
from filing.services import request_file, request_withdraw
from reports import transitions
from reports.errors import IllegalTransition
from reports.models import Status, TakedownRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(kz_reporter) -> TakedownRequest:
    request, _ = request_file(reporter=kz_reporter, data=RequestInput(
        items=[ItemInput(content_id="kz-0007")], category="hate_speech", legal_basis=["KZ-CC-174"],
        requested_action="restrict_in_jurisdiction", justification="Long enough justification text here."))
    return request


def test_the_table_matches_the_documented_workflow():
    edges = {(source, target) for sources, target in transitions.ALLOWED.values() for source in sources}

    assert edges == {
        ("draft", "submitted"), ("submitted", "screening"), ("screening", "queued"), ("screening", "needs_info"),
        ("needs_info", "submitted"), ("queued", "in_review"), ("in_review", "queued"), ("in_review", "needs_info"),
        ("in_review", "decided"), ("decided", "queued"), ("decided", "closed"),
        *((s, "withdrawn") for s in ("draft", "submitted", "screening", "needs_info", "queued", "in_review")),
    }


@pytest.mark.parametrize("action", ["claim", "decide", "close", "reconsider", "respond", "route_to_queue"])
def test_an_illegal_transition_raises_and_changes_nothing(submitted, action):
    before = TakedownRequest.objects.filter(pk=submitted.pk).values().get()

    with pytest.raises(IllegalTransition, match=f"{submitted.reference} cannot be .* while it is submitted"):
        transitions.apply(submitted, action)

    assert TakedownRequest.objects.filter(pk=submitted.pk).values().get() == before


def test_a_withdrawn_request_cannot_be_withdrawn_again(kz_reporter, submitted):
    request_withdraw(reporter=kz_reporter, request=submitted)
    events = AuditEvent.objects.count()

    with pytest.raises(IllegalTransition, match="cannot be withdrawn while it is withdrawn"):
        request_withdraw(reporter=kz_reporter, request=submitted)

    assert TakedownRequest.objects.get(pk=submitted.pk).status == Status.WITHDRAWN
    assert AuditEvent.objects.count() == events
