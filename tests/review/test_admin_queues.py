"""Triage in the admin: the queues on the index page and the request list with its filters and order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.models import Exercise, TakedownRequest
from review.selectors import day_end
from review.services import request_claim
from tests.builders import decided, filed_and_screened

INDEX = reverse("admin:index")
LIST = reverse("admin:reports_takedownrequest_changelist")


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [request.reference for request in response.context["cl"].result_list]


def queues(response) -> dict[str, tuple[int, int, int, int, bool]]:
    return {q.code: (q.open, q.unclaimed, q.overdue, q.claimed_by_me, q.may_work)
            for q in response.context["review_queues"]}


def make_overdue(request: TakedownRequest, *, hours: int = 2) -> None:
    TakedownRequest.objects.filter(pk=request.pk).update(sla_due_at=timezone.now() - timedelta(hours=hours))


@pytest.fixture
def triage(file_request, senior_reviewer):
    """Two policy requests (one held by the senior reviewer, one overdue), one legal, one human-rights."""
    held = file_request("policy")
    request_claim(reviewer=senior_reviewer, request=held)
    overdue = file_request("policy")
    make_overdue(overdue)
    legal = file_request("legal")
    rights = file_request("human_rights")
    return {"held": held, "overdue": overdue, "legal": legal, "rights": rights}


def test_index_shows_each_queue_with_open_unclaimed_and_overdue_counts(client_for, triage, policy_reviewer):
    response = client_for(policy_reviewer).get(INDEX)

    assert response.status_code == 200
    assert queues(response) == {
        "policy": (2, 1, 1, 0, True),
        "legal": (1, 1, 0, 0, False),
        "human_rights": (1, 1, 0, 0, False),
    }
    html = response.content.decode()
    assert f'href="{LIST}?queue__exact=policy&amp;status=open"' in html
    assert f'href="{LIST}?queue__exact=policy&amp;sla=overdue"' in html
    # The policy reviewer gets a "claim next" button for the policy queue only.
    assert reverse("admin:reports_takedownrequest_claim_next", args=["policy"]) in html
    assert reverse("admin:reports_takedownrequest_claim_next", args=["legal"]) not in html
    assert reverse("admin:reports_takedownrequest_claim_next", args=["human_rights"]) not in html


def test_index_lists_the_requests_the_reviewer_holds(client_for, triage, senior_reviewer):
    response = client_for(senior_reviewer).get(INDEX)

    assert queues(response)["policy"] == (2, 1, 1, 1, True)
    assert [r.reference for r in response.context["review_claims"]] == [triage["held"].reference]
    # A senior reviewer works every queue.
    for queue in ("policy", "legal", "human_rights"):
        assert reverse("admin:reports_takedownrequest_claim_next", args=[queue]) in response.content.decode()


def test_auditor_sees_the_queue_counts_but_no_claim_button(client_for, triage, auditor):
    response = client_for(auditor).get(INDEX)

    assert queues(response)["policy"][:3] == (2, 1, 1)
    assert "Claim next" not in response.content.decode()


def test_list_filters_by_queue_and_open_status(client_for, triage):
    client = client_for(triage["held"].claimed_by)

    assert set(listed(client.get(LIST, {"queue__exact": "policy", "status": "open"}))) == {
        triage["held"].reference, triage["overdue"].reference}
    assert listed(client.get(LIST, {"queue__exact": "legal"})) == [triage["legal"].reference]
    assert listed(client.get(LIST, {"status": "in_review"})) == [triage["held"].reference]


def test_list_filters_claimed_by_me_and_unclaimed(client_for, triage, senior_reviewer, policy_reviewer):
    assert listed(client_for(senior_reviewer).get(LIST, {"claim": "mine"})) == [triage["held"].reference]
    assert listed(client_for(policy_reviewer).get(LIST, {"claim": "mine"})) == []
    assert set(listed(client_for(policy_reviewer).get(LIST, {"claim": "unclaimed"}))) == {
        triage["overdue"].reference, triage["legal"].reference, triage["rights"].reference}
    assert listed(client_for(policy_reviewer).get(LIST, {"claim": "others"})) == [triage["held"].reference]


def test_list_filters_by_sla_due(client_for, triage, policy_reviewer):
    now = timezone.now()
    # Due within the hour (today unless the test runs in the last hour of the day), and in two days.
    due_soon = min(now + timedelta(hours=1), day_end(now) - timedelta(minutes=1))
    TakedownRequest.objects.filter(pk=triage["legal"].pk).update(sla_due_at=due_soon)
    TakedownRequest.objects.filter(pk=triage["rights"].pk).update(sla_due_at=now + timedelta(days=2))
    TakedownRequest.objects.filter(pk=triage["held"].pk).update(sla_due_at=now + timedelta(days=3))
    client = client_for(policy_reviewer)

    assert listed(client.get(LIST, {"sla": "overdue"})) == [triage["overdue"].reference]
    assert listed(client.get(LIST, {"sla": "today"})) == [triage["legal"].reference]
    assert set(listed(client.get(LIST, {"sla": "later"}))) == {triage["rights"].reference, triage["held"].reference}


def test_list_filters_by_priority_category_jurisdiction_and_agency(client_for, triage, file_request, kz_prosecutor,
                                                                   policy_reviewer):
    content_code = triage["legal"].items.get().content.code
    other_agency = filed_and_screened(kz_prosecutor, content_code, court_order=None)
    client = client_for(policy_reviewer)

    assert set(listed(client.get(LIST, {"priority__exact": 1}))) == {
        triage["held"].reference, triage["overdue"].reference}
    assert listed(client.get(LIST, {"category__exact": "government_criticism"})) == [triage["rights"].reference]
    assert len(listed(client.get(LIST, {"agency__jurisdiction__code__exact": "KZ"}))) == 5
    assert listed(client.get(LIST, {"agency__id__exact": other_agency.agency_id})) == [other_agency.reference]


def test_list_orders_by_priority_then_sla_due_time(client_for, file_request, policy_reviewer):
    # given: two legal requests (priority 3), the later-filed one due first, and a policy request (priority 1)
    first_legal, second_legal = file_request("legal"), file_request("legal")
    TakedownRequest.objects.filter(pk=second_legal.pk).update(sla_due_at=first_legal.sla_due_at - timedelta(hours=1))
    policy = file_request("policy")

    # when
    references = listed(client_for(policy_reviewer).get(LIST))

    # then
    assert references == [policy.reference, second_legal.reference, first_legal.reference]


def test_overdue_rows_stand_out_through_the_stylesheet_not_inline_styles(client_for, triage, policy_reviewer):
    response = client_for(policy_reviewer).get(LIST, {"queue__exact": "policy"})

    html = response.content.decode()
    assert html.count('class="crs-sla crs-sla--overdue"') == 1
    assert "/static/review/admin.css" in html
    assert " style=" not in html and "<style" not in html


def test_list_leaves_out_drafts_and_other_exercises(client_for, triage, kz_reporter, policy_reviewer):
    from filing.inputs import RequestInput
    from filing.services import request_draft_save

    draft = request_draft_save(reporter=kz_reporter, data=RequestInput(category="hate_speech"))
    other = Exercise.objects.create(slug="other-class", name="Another class")
    TakedownRequest.objects.filter(pk=triage["legal"].pk).update(exercise=other)

    references = listed(client_for(policy_reviewer).get(LIST))

    assert draft.reference not in references
    assert triage["legal"].reference not in references
    assert len(references) == 3


def test_list_page_issues_the_same_number_of_queries_for_many_rows(client_for, file_request, policy_reviewer,
                                                                   legal_reviewer,
                                                                   hr_reviewer, senior_reviewer):
    client = client_for(policy_reviewer)
    request_claim(reviewer=policy_reviewer, request=file_request("policy"))
    client.get(LIST)  # warm caches (content types, sessions) that are not per-row

    cache.clear()  # the list's total is cached until the record changes: count it in both loads
    with CaptureQueriesContext(connection) as one_row:
        assert len(listed(client.get(LIST))) == 1
    request_claim(reviewer=legal_reviewer, request=file_request("legal"))
    request_claim(reviewer=hr_reviewer, request=file_request("human_rights"))
    request_claim(reviewer=senior_reviewer, request=file_request("policy"))
    for queue in ("legal", "human_rights"):
        file_request(queue)
    cache.clear()
    with CaptureQueriesContext(connection) as six_rows:
        assert len(listed(client.get(LIST))) == 6

    assert len(six_rows.captured_queries) == len(one_row.captured_queries)


def test_request_list_is_for_staff_who_may_view_requests(client_for, triage, outsider, platform_staff):
    assert client_for(platform_staff).get(LIST).status_code == 403
    assert client_for(outsider).get(LIST).status_code == 302  # not staff: sent to the admin login
    assert "review_queues" not in client_for(platform_staff).get(INDEX).context


@pytest.mark.parametrize(("person", "queue"), [
    ("policy_reviewer", "policy"), ("legal_reviewer", "legal"), ("hr_reviewer", "human_rights"),
    ("senior_reviewer", "human_rights"), ("auditor", "legal"),
])
def test_every_tier_and_auditors_triage_a_queue_from_the_index_link(client_for, triage, request, person, queue):
    user = request.getfixturevalue(person)
    expected = {"policy": {triage["held"].reference, triage["overdue"].reference},
                "legal": {triage["legal"].reference}, "human_rights": {triage["rights"].reference}}[queue]
    client = client_for(user)

    link = next(q for q in client.get(INDEX).context["review_queues"] if q.code == queue)
    response = client.get(LIST, {"queue__exact": link.code, "status": "open"})

    assert set(listed(response)) == expected
    assert len(expected) == link.open


def test_the_list_opens_on_the_work_waiting_and_shows_decided_requests_on_request(client_for, file_request,
                                                                                  senior_reviewer):
    waiting = file_request("legal")
    done = decided(senior_reviewer, file_request("policy"), action="remove_globally", reason="policy_violation")
    client = client_for(senior_reviewer)

    assert listed(client.get(LIST)) == [waiting.reference]
    assert set(listed(client.get(LIST, {"status": "any"}))) == {waiting.reference, done.reference}
    assert listed(client.get(LIST, {"status": "decided"})) == [done.reference]


def test_a_long_agency_name_is_shortened_with_the_whole_name_in_its_tooltip(client_for, file_request,
                                                                            policy_reviewer):
    file_request("policy")

    html = client_for(policy_reviewer).get(LIST).content.decode()

    assert ('<span title="Ministry of Information and Social Development, Kazakhstan">Ministry of Information and '
            'Soc…</span> (KZ)') in html
    assert "Restrict in Kazakhstan" in html, "the asked scope in words"
