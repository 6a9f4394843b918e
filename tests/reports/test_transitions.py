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


def test_apply_each_writes_each_requests_own_changes_and_leaves_the_rest(kz_reporter, submitted):
    """Mixed types per row (null and set, JSON lists, times), as screening routes a batch; other rows untouched."""
    other, _ = request_file(reporter=kz_reporter, data=RequestInput(
        items=[ItemInput(content_id="kz-0008")], category="hate_speech", legal_basis=["KZ-CC-174"],
        requested_action="restrict_in_jurisdiction", justification="Long enough justification text here."))
    bystander, _ = request_file(reporter=kz_reporter, data=RequestInput(
        items=[ItemInput(content_id="kz-0009")], category="hate_speech", legal_basis=["KZ-CC-174"],
        requested_action="restrict_in_jurisdiction", justification="Long enough justification text here."))
    for request in (submitted, other, bystander):
        transitions.apply(request, "start_screening")
    bystander_before = TakedownRequest.objects.filter(pk=bystander.pk).values().get()
    due = submitted.submitted_at.replace(microsecond=123456)
    missing = [{"part": "justification", "message": "Say « why » — ünïcode"}]

    transitions.apply_each([
        (submitted, "route_to_queue", {"queue": "legal", "priority": 2, "sla_due_at": due, "missing_parts": [],
                                       "review_round": 1}),
        (other, "route_to_needs_info", {"queue": "", "priority": None, "sla_due_at": None, "missing_parts": missing}),
    ])

    rows = {row["id"]: row for row in TakedownRequest.objects.filter(pk__in=[submitted.pk, other.pk]).values()}
    assert {k: rows[submitted.pk][k] for k in ("status", "queue", "priority", "sla_due_at", "missing_parts",
                                               "review_round")} == {
        "status": Status.QUEUED, "queue": "legal", "priority": 2, "sla_due_at": due, "missing_parts": [],
        "review_round": 1}
    assert {k: rows[other.pk][k] for k in ("status", "queue", "priority", "sla_due_at", "missing_parts",
                                           "review_round")} == {
        "status": Status.NEEDS_INFO, "queue": "", "priority": None, "sla_due_at": None, "missing_parts": missing,
        "review_round": other.review_round}
    assert rows[submitted.pk]["last_activity_at"] == rows[other.pk]["last_activity_at"] == submitted.last_activity_at
    assert TakedownRequest.objects.filter(pk=bystander.pk).values().get() == bystander_before
