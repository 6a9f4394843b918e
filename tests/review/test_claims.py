"""Claiming in the admin: claim, release, claim next, each tier's own queue, and stale claims expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from reports.errors import IllegalTransition
from reports.models import Status, TakedownRequest
from review.services import claims_expire, request_claim, request_escalate

INDEX = reverse("admin:index")


def page(request) -> str:
    return reverse("admin:reports_takedownrequest_change", args=[request.pk])


def claim_url(request) -> str:
    return reverse("admin:reports_takedownrequest_claim", args=[request.pk])


def release_url(request) -> str:
    return reverse("admin:reports_takedownrequest_release", args=[request.pk])


def claim_next_url(queue: str) -> str:
    return reverse("admin:reports_takedownrequest_claim_next", args=[queue])


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def events(request, event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(request=request, event_type=event_type).order_by("id"))


@pytest.mark.parametrize(("queue", "reviewer"), [
    ("policy", "policy_reviewer"), ("legal", "legal_reviewer"), ("human_rights", "hr_reviewer"),
    ("legal", "senior_reviewer"),
])
def test_each_tier_claims_a_request_of_its_own_queue_from_the_request_page(client_for, file_request, request, queue,
                                                                           reviewer):
    reviewer = request.getfixturevalue(reviewer)
    takedown = file_request(queue)

    response = client_for(reviewer).post(claim_url(takedown), follow=True)

    assert response.redirect_chain[-1][0] == page(takedown)
    assert shown_messages(response) == [
        f"You hold {takedown.reference}; no one else can decide it until you release it."]
    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by) == (Status.IN_REVIEW, reviewer)
    assert [e.actor for e in events(takedown, "request_claimed")] == [reviewer]


@pytest.mark.parametrize(("queue", "reviewer", "tier"), [
    ("policy", "legal_reviewer", "Reviewers: platform policy"),
    ("legal", "hr_reviewer", "Reviewers: local law"),
    ("human_rights", "policy_reviewer", "Reviewers: human rights"),
])
def test_a_reviewer_cannot_claim_from_another_tiers_queue(client_for, file_request, request, queue, reviewer, tier):
    reviewer = request.getfixturevalue(reviewer)
    takedown = file_request(queue)
    label = {"policy": "platform policy", "legal": "local law", "human_rights": "human-rights escalation"}[queue]

    response = client_for(reviewer).post(claim_url(takedown), follow=True)

    assert shown_messages(response) == [f"The {label} queue is worked by the {tier} tier."]
    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by) == (Status.QUEUED, None)
    assert events(takedown, "request_claimed") == []


def test_the_request_page_offers_the_claim_button_only_to_a_tier_that_may_claim(client_for, file_request,
                                                                                policy_reviewer,
                                                                                legal_reviewer):
    takedown = file_request("policy")

    assert claim_url(takedown) in client_for(policy_reviewer).get(page(takedown)).content.decode()
    assert claim_url(takedown) not in client_for(legal_reviewer).get(page(takedown)).content.decode()


def test_auditor_can_read_the_request_page_but_not_claim(client_for, file_request, auditor):
    takedown = file_request("policy")
    client = client_for(auditor)

    assert client.get(page(takedown)).status_code == 200
    assert claim_url(takedown) not in client.get(page(takedown)).content.decode()
    assert client.post(claim_url(takedown)).status_code == 403
    assert client.post(claim_next_url("policy")).status_code == 403
    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by) == (Status.QUEUED, None)


def test_a_held_request_cannot_be_claimed_by_a_second_reviewer(client_for, file_request, policy_reviewer,
                                                               senior_reviewer):
    takedown = file_request("policy")
    client_for(policy_reviewer).post(claim_url(takedown))

    response = client_for(senior_reviewer).post(claim_url(takedown), follow=True)

    assert shown_messages(response) == [f"{takedown.reference} cannot be claimed while it is in review."]
    takedown.refresh_from_db()
    assert takedown.claimed_by == policy_reviewer
    assert len(events(takedown, "request_claimed")) == 1


def test_claiming_needs_a_post(client_for, file_request, policy_reviewer):
    takedown = file_request("policy")

    assert client_for(policy_reviewer).get(claim_url(takedown)).status_code == 405
    takedown.refresh_from_db()
    assert takedown.status == Status.QUEUED


def test_releasing_returns_the_request_to_its_queue(client_for, file_request, policy_reviewer):
    takedown = file_request("policy")
    client = client_for(policy_reviewer)
    client.post(claim_url(takedown), follow=True)

    response = client.post(release_url(takedown), follow=True)

    assert shown_messages(response) == [f"{takedown.reference} is back in the platform policy queue."]
    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by, takedown.claimed_at) == (Status.QUEUED, None, None)
    assert [e.actor for e in events(takedown, "claim_released")] == [policy_reviewer]


def test_only_the_holder_can_release(client_for, file_request, policy_reviewer, senior_reviewer):
    takedown = file_request("policy")
    client_for(policy_reviewer).post(claim_url(takedown))

    response = client_for(senior_reviewer).post(release_url(takedown), follow=True)

    assert shown_messages(response) == [f"{takedown.reference} is not claimed by you; claim it first."]
    takedown.refresh_from_db()
    assert takedown.claimed_by == policy_reviewer
    assert events(takedown, "claim_released") == []


def test_claim_next_takes_the_most_urgent_unclaimed_request_of_the_queue(client_for, file_request, legal_reviewer):
    # given: three legal requests; the last filed is due first
    first, second, third = file_request("legal"), file_request("legal"), file_request("legal")
    TakedownRequest.objects.filter(pk=third.pk).update(sla_due_at=first.sla_due_at - timedelta(hours=1))
    client = client_for(legal_reviewer)

    # when
    response = client.post(claim_next_url("legal"), {"next": INDEX}, follow=True)

    # then
    assert response.redirect_chain[-1][0] == page(third)
    assert shown_messages(response) == [f"You hold {third.reference}, the most urgent request of the local law queue."]
    assert TakedownRequest.objects.get(pk=third.pk).claimed_by == legal_reviewer
    assert set(TakedownRequest.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        Status.QUEUED}

    # and the next one after that is the earliest-filed
    client.post(claim_next_url("legal"), {"next": INDEX})
    assert TakedownRequest.objects.get(pk=first.pk).claimed_by == legal_reviewer


def test_claim_next_in_an_empty_queue_says_so(client_for, file_request, hr_reviewer):
    file_request("policy")

    response = client_for(hr_reviewer).post(claim_next_url("human_rights"), {"next": INDEX}, follow=True)

    assert response.redirect_chain[-1][0] == INDEX
    assert shown_messages(response) == ["No unclaimed request waits in the human-rights escalation queue."]


def test_claim_next_refuses_a_queue_the_reviewer_does_not_work(client_for, file_request, legal_reviewer):
    takedown = file_request("policy")

    response = client_for(legal_reviewer).post(claim_next_url("policy"), {"next": INDEX}, follow=True)

    assert shown_messages(response) == ["You do not work the platform policy queue."]
    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by) == (Status.QUEUED, None)


def test_claim_next_does_not_follow_a_next_address_off_the_site(client_for, file_request, legal_reviewer):
    response = client_for(legal_reviewer).post(claim_next_url("legal"), {"next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == INDEX


def test_the_list_of_a_queue_offers_claim_next_to_its_tier(client_for, file_request, policy_reviewer, legal_reviewer):
    file_request("policy")
    url = reverse("admin:reports_takedownrequest_changelist") + "?queue__exact=policy"

    assert claim_next_url("policy") in client_for(policy_reviewer).get(url).content.decode()
    assert claim_next_url("policy") not in client_for(legal_reviewer).get(url).content.decode()


def test_a_stale_claim_expires_and_another_reviewer_can_claim(client_for, file_request, policy_reviewer,
                                                              senior_reviewer):
    # given: a policy reviewer claimed a request and went away
    takedown = file_request("policy")
    request_claim(reviewer=policy_reviewer, request=takedown)
    later = timezone.now() + settings.CRS_CLAIM_TTL + timedelta(minutes=1)

    # when: the periodic task runs after the claim's time to live
    assert claims_expire(now=timezone.now()) == 0
    assert claims_expire(now=later) == 1

    # then: the request is back in its queue, the expiry is on record, and someone else can take it
    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by) == (Status.QUEUED, None)
    expired = events(takedown, "claim_expired")
    assert len(expired) == 1 and expired[0].payload["reviewer"] == f"user:{policy_reviewer.pk}"
    client_for(senior_reviewer).post(claim_url(takedown))
    takedown.refresh_from_db()
    assert takedown.claimed_by == senior_reviewer


def test_a_reviewer_cannot_claim_a_request_escalated_away_from_their_queue_since_they_loaded_it(
        file_request, legal_reviewer, hr_reviewer):
    # given: a legal reviewer has the request as it was in the legal queue ...
    takedown = file_request("legal")
    seen = TakedownRequest.objects.get(pk=takedown.pk)
    # ... and meanwhile it was escalated to the human-rights queue (claimed, escalated, released)
    request_claim(reviewer=legal_reviewer, request=TakedownRequest.objects.get(pk=takedown.pk))
    request_escalate(reviewer=legal_reviewer, request=takedown, to_queue="human_rights", note="High risk.")

    # when: the legal reviewer claims what they saw
    with pytest.raises(IllegalTransition) as refused:
        request_claim(reviewer=legal_reviewer, request=seen)

    # then: it waits for the human-rights tier
    takedown.refresh_from_db()
    assert (takedown.status, takedown.queue, takedown.claimed_by) == (Status.QUEUED, "human_rights", None)
    assert str(refused.value) == f"{takedown.reference} cannot be claimed while it is queued."
    assert len(events(takedown, "request_claimed")) == 1
    request_claim(reviewer=hr_reviewer, request=TakedownRequest.objects.get(pk=takedown.pk))
    assert TakedownRequest.objects.get(pk=takedown.pk).claimed_by == hr_reviewer
