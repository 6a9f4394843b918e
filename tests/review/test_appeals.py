"""Affected users' appeals: once per decision, decided by another reviewer, restoring the post, audited, counted."""

from __future__ import annotations

import pytest
from django.db.models import Q

from audit.models import AuditEvent
from portal.selectors import notices_for_author
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.models import Appeal, ContentItem, ContentRestriction, ExerciseRole
from review.services import appeal_decide, appeal_file
from tests.builders import decided
from tests.exercises import enrol, student_files
from transparency.figures import Period, transparency_report

pytestmark = pytest.mark.django_db

STATEMENT = "My post reports a public meeting; it calls for nothing unlawful."


def test_the_author_is_told_what_was_done_where_why_and_which_government_asked(restricted):
    [notice] = notices_for_author(account=restricted.post.author)

    assert notice.item == restricted.item
    assert (notice.where, notice.removed_globally, notice.still_in_force) == ("Kazakhstan", False, True)
    assert notice.provisions == ["Criminal Code of the Republic of Kazakhstan art. 174 — Inciting social, national, "
                                 "clan, racial, class or religious discord"]
    assert (notice.request.agency.name, notice.request.agency.jurisdiction_id) == (
        "Ministry of Information and Social Development", "KZ")
    assert notice.decision.reason_code == "unlawful_locally"
    assert notice.appeal is None


def test_a_decision_of_no_action_gives_no_notice(classroom):
    decided(classroom.senior, student_files(classroom.reporter, [classroom.post.code]), action="no_action",
               reason="not_unlawful")

    assert notices_for_author(account=classroom.post.author) == []


def test_the_author_appeals_once_and_the_appeal_is_audited(restricted):
    # when
    appeal = appeal_file(user=restricted.author, item=restricted.item, statement=f"  {STATEMENT}  ")

    # then
    assert (appeal.status, appeal.statement, appeal.decision.reviewer) == ("pending", STATEMENT, restricted.senior)
    event = AuditEvent.objects.get(event_type="appeal_filed")
    assert (event.request, event.actor, event.actor_role, event.exercise) == (
        restricted.request, restricted.author, "affected_user", restricted.exercise)
    assert event.payload["item"] == 1 and event.payload["decision_action"] == "restrict_in_jurisdiction"
    assert STATEMENT not in str(event.payload)  # the log keeps the statement's hash, not the person's words

    # when: a second appeal on the same decision
    with pytest.raises(IllegalTransition, match="You have already appealed this decision; a decision can be "
                                                "appealed once."):
        appeal_file(user=restricted.author, item=restricted.item, statement="Once more, please.")
    assert Appeal.objects.count() == 1
    assert AuditEvent.objects.filter(event_type="appeal_filed").count() == 1


def test_an_appeal_needs_a_statement_and_nothing_is_saved_without_one(restricted):
    with pytest.raises(InvalidInput) as refused:
        appeal_file(user=restricted.author, item=restricted.item, statement="   ")

    assert refused.value.fields == {"statement": ["Say why the decision is wrong: a reviewer reads your statement."]}
    assert not Appeal.objects.exists()


def test_only_the_author_of_the_post_can_appeal(restricted):
    other_account = restricted.post.author.__class__.objects.filter(exercise=restricted.exercise).exclude(
        pk=restricted.post.author_id).first()
    stranger = enrol(restricted.exercise, restricted.instructor, "erlan", ExerciseRole.AFFECTED_USER,
                     account=other_account)

    for user in (stranger, restricted.reporter):
        with pytest.raises(NotAllowed, match="Only the author of a post can appeal a decision about it."):
            appeal_file(user=user, item=restricted.item, statement=STATEMENT)
    assert not Appeal.objects.exists()


def test_the_reviewer_who_decided_cannot_decide_the_appeal(restricted):
    appeal = appeal_file(user=restricted.author, item=restricted.item, statement=STATEMENT)

    with pytest.raises(NotAllowed, match="You made the decision under appeal: another reviewer must decide the "
                                         "appeal."):
        appeal_decide(reviewer=restricted.senior, appeal=appeal, outcome="reversed", rationale="I was wrong.")

    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by) == ("pending", None)
    assert ContentRestriction.objects.filter(content=restricted.post, lifted_at__isnull=True).count() == 1
    assert not AuditEvent.objects.filter(event_type="appeal_decided").exists()


def test_another_reviewer_reverses_the_decision_and_the_post_is_visible_again(restricted):
    appeal = appeal_file(user=restricted.author, item=restricted.item, statement=STATEMENT)
    assert not restricted.post.visible_in("KZ")

    # when
    decided = appeal_decide(reviewer=restricted.legal, appeal=appeal, outcome="reversed",
                            rationale="A report of a meeting incites nobody; the restriction is lifted.")

    # then
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.content_restored) == ("reversed", restricted.legal, True)
    assert decided.content_restored
    assert ContentItem.objects.get(pk=restricted.post.pk).visible_in("KZ")
    event = AuditEvent.objects.get(event_type="appeal_decided")
    assert (event.actor, event.actor_role, event.request) == (restricted.legal, "legal_reviewer", restricted.request)
    assert event.payload == {"appeal": appeal.pk, "item": 1, "outcome": "reversed", "content_restored": True,
                             "rationale": "A report of a meeting incites nobody; the restriction is lifted.",
                             "original_reviewer": f"user:{restricted.senior.pk}"}
    [notice] = notices_for_author(account=restricted.post.author)
    assert (notice.appeal.status, notice.still_in_force) == ("reversed", False)

    # and an appeal is decided once
    with pytest.raises(IllegalTransition, match="This appeal has already been decided."):
        appeal_decide(reviewer=restricted.legal, appeal=appeal, outcome="upheld", rationale="Changed my mind.")


def test_reversing_a_global_removal_restores_the_post_everywhere(classroom):
    request = decided(classroom.senior, student_files(classroom.reporter, [classroom.post.code]),
                         action="remove_globally", reason="policy_violation")
    post = ContentItem.objects.get(pk=classroom.post.pk)
    assert post.removed_globally_at is not None
    [notice] = notices_for_author(account=post.author)
    assert (notice.where, notice.removed_globally) == ("worldwide", True)

    appeal = appeal_file(user=classroom.author, item=request.items.get(), statement=STATEMENT)
    appeal_decide(reviewer=classroom.legal, appeal=appeal, outcome="reversed", rationale="No rule is broken.")

    post.refresh_from_db()
    assert (post.removed_globally_at, post.removed_by_request) == (None, None)


def test_an_upheld_appeal_leaves_the_post_restricted(restricted):
    appeal = appeal_file(user=restricted.author, item=restricted.item, statement=STATEMENT)

    appeal_decide(reviewer=restricted.legal, appeal=appeal, outcome="upheld",
                  rationale="The court order covers this post.")

    appeal.refresh_from_db()
    assert (appeal.status, appeal.content_restored) == ("upheld", False)
    assert not ContentItem.objects.get(pk=restricted.post.pk).visible_in("KZ")


def test_an_appeal_decision_needs_an_outcome_and_a_rationale(restricted):
    appeal = appeal_file(user=restricted.author, item=restricted.item, statement=STATEMENT)

    with pytest.raises(InvalidInput) as refused:
        appeal_decide(reviewer=restricted.legal, appeal=appeal, outcome="maybe", rationale="")

    assert refused.value.fields == {
        "outcome": ["Choose upheld (the decision stands) or reversed (the post is restored)."],
        "rationale": ["Write the rationale: the author reads it and it is kept in the record."]}
    assert Appeal.objects.get().status == "pending"


def test_a_reporter_cannot_decide_an_appeal(restricted):
    appeal = appeal_file(user=restricted.author, item=restricted.item, statement=STATEMENT)

    with pytest.raises(NotAllowed, match="Only reviewers decide appeals."):
        appeal_decide(reviewer=restricted.reporter, appeal=appeal, outcome="reversed", rationale="Restore it.")


def test_the_transparency_report_counts_appeals_filed_upheld_reversed_and_restored(restricted):
    # given: two more restricted posts of the same author, three appeals, decided two ways
    others = list(ContentItem.objects.filter(exercise=restricted.exercise, author=restricted.post.author)
                  .exclude(pk=restricted.post.pk).order_by("code")[:2])
    requests = [decided(restricted.senior, student_files(restricted.reporter, [post.code])) for post in others]
    appeals = [appeal_file(user=restricted.author, item=r.items.get(), statement=STATEMENT)
               for r in [restricted.request, *requests]]
    appeal_decide(reviewer=restricted.legal, appeal=appeals[0], outcome="reversed", rationale="Lawful speech.")
    appeal_decide(reviewer=restricted.legal, appeal=appeals[1], outcome="upheld", rationale="Unlawful.")

    # when
    period = Period.containing(restricted.request.submitted_at)
    report = transparency_report(exercise=restricted.exercise, period=period)

    # then
    figures = {"filed": 3, "pending": 1, "upheld": 1, "reversed": 1, "content_restored": 1}
    assert report["totals"]["appeals"] == figures
    assert report["jurisdictions"][0]["appeals"] == figures
    assert AuditEvent.objects.filter(Q(event_type="appeal_filed") | Q(event_type="appeal_decided")).count() == 5


def test_the_notices_read_a_fixed_number_of_queries_however_many_there_are(restricted, django_assert_num_queries):
    others = list(ContentItem.objects.filter(exercise=restricted.exercise, author=restricted.post.author)
                  .exclude(pk=restricted.post.pk).order_by("code")[:2])
    for post in others:
        decided(restricted.senior, student_files(restricted.reporter, [post.code]))
    appeal_file(user=restricted.author, item=restricted.item, statement=STATEMENT)

    # items, then their decisions, appeals, citations, provisions, policy checks, restrictions
    with django_assert_num_queries(7):
        notices = notices_for_author(account=restricted.post.author)
    assert len(notices) == 3
