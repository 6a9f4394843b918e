"""The counts kept on request rows give the same figures as a full recount of items and decisions, and
``manage.py figures_check`` finds and mends a count that went wrong."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from filing.services import request_reconsider, request_withdraw
from reports.models import ContentItem, ReporterAccount, RequestItem, TakedownRequest
from review.models import ITEM_OUTCOME_OF_ACTION, Decision
from review.services import appeal_decide, item_decide, request_claim
from review.tallies import requests_with_wrong_tallies
from tests.builders import RATIONALE, appealed, decided
from tests.exercises import student_files
from transparency.figures import Period, transparency_report

pytestmark = pytest.mark.django_db

REASONS = {"remove_globally": "policy_violation", "restrict_in_jurisdiction": "unlawful_locally",
           "no_action": "not_unlawful"}


def recounted_figures(exercise, period: Period) -> dict:
    """Items and latest-round outcomes counted from the item and decision records themselves."""
    in_period = {"request__exercise": exercise, "request__submitted_at__gte": period.start,
                 "request__submitted_at__lt": period.end}
    outcomes = Counter(ITEM_OUTCOME_OF_ACTION[action] for action in Decision.objects.filter(
        round=F("request__review_round"), **in_period).values_list("action", flat=True))
    items = RequestItem.objects.filter(**in_period).count()
    return {"items": items, "removed_policy_violation": outcomes["removed_policy_violation"],
            "restricted_locally": outcomes["restricted_locally"], "no_action": outcomes["no_action"],
            "pending": items - sum(outcomes.values())}


def reported(exercise, period: Period) -> dict:
    totals = transparency_report(exercise=exercise, period=period)["totals"]
    return {"items": totals["items"], **totals["outcomes"]}


def decide_each(reviewer, request: TakedownRequest, actions: list[str]) -> None:
    request_claim(reviewer=reviewer, request=request)
    for item, action in zip(request.items.order_by("position"), actions, strict=False):
        item_decide(reviewer=reviewer, item=item, action=action, reason_code=REASONS[action], rationale=RATIONALE)


@pytest.fixture
def workflow(restricted):
    """Filings decided every way, a reconsideration decided afresh, an appeal that reverses, a withdrawal."""
    room = restricted
    posts = list(ContentItem.objects.filter(exercise=room.exercise, country="KZ").exclude(pk=room.post.pk)
                 .order_by("code").values_list("code", flat=True)[:9])
    reporter = ReporterAccount.objects.get(user=room.reporter)
    # The decision on the author's post is reversed on appeal: the content comes back, the decision stays.
    appeal = appealed(room.author, room.item)
    appeal_decide(reviewer=room.legal, appeal=appeal, outcome="reversed", rationale="The post reports the news.")
    removed = decided(room.senior, student_files(room.reporter, posts[0:2]), action="remove_globally",
                      reason="policy_violation")
    decide_each(room.senior, student_files(room.reporter, posts[2:5]),
                ["remove_globally", "restrict_in_jurisdiction", "no_action"])
    # Half decided: one item of two still waits.
    decide_each(room.senior, student_files(room.reporter, posts[5:7]), ["no_action"])
    # Reconsidered: round 1's two removals give way to round 2, where one item of two is decided so far.
    request_reconsider(reporter=reporter, request=removed, message="Please look again: the posts are news reports.")
    decide_each(room.senior, TakedownRequest.objects.get(pk=removed.pk), ["no_action"])
    request_withdraw(reporter=reporter, request=student_files(room.reporter, posts[7:9]), reason="Resolved locally.")
    return room


def test_the_kept_counts_give_the_figures_of_a_full_recount(workflow):
    period = Period.containing(datetime.now(UTC))

    figures = reported(workflow.exercise, period)

    assert figures == recounted_figures(workflow.exercise, period)
    assert figures == {"items": 10, "removed_policy_violation": 1, "restricted_locally": 2, "no_action": 3,
                       "pending": 4}
    assert not requests_with_wrong_tallies(TakedownRequest.objects.all()).exists()


def test_the_check_finds_a_wrong_count_and_the_rebuild_mends_it(workflow):
    period = Period.containing(datetime.now(UTC))
    call_command("figures_check", "--no-progress", stdout=io.StringIO())  # all correct: no error
    # given: a count that no longer matches the records
    corrupted = TakedownRequest.objects.filter(items_restricted__gt=0, tally_round=F("review_round")).first()
    TakedownRequest.objects.filter(pk=corrupted.pk).update(items_restricted=F("items_restricted") + 5, item_count=0)
    assert reported(workflow.exercise, period) != recounted_figures(workflow.exercise, period)

    # when: checked
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 request\(s\) have counts that differ from a recount; "
                                           r"run with --rebuild\.$"):
        call_command("figures_check", "--no-progress", stdout=out)

    # then: it names the request and what differs, and changed nothing
    assert out.getvalue().startswith(f"{corrupted.reference}: kept items 0, items_removed ")
    assert TakedownRequest.objects.get(pk=corrupted.pk).item_count == 0

    # when: rebuilt
    out = io.StringIO()
    call_command("figures_check", "--rebuild", "--no-progress", "--batch", "2", stdout=out)

    # then
    assert out.getvalue().splitlines()[-1] == "1 request(s) had wrong counts; 1 rebuilt."
    assert reported(workflow.exercise, period) == recounted_figures(workflow.exercise, period)
    call_command("figures_check", "--no-progress", stdout=io.StringIO())
