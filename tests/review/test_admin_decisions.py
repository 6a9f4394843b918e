"""Deciding, asking for information and escalating from the request page, tier by tier."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from reports.models import ContentItem, ContentRestriction, Outcome, RequestMessage, Status, TakedownRequest
from review.models import Decision
from review.services import request_claim


def page(request) -> str:
    return reverse("admin:reports_takedownrequest_change", args=[request.pk])


def decide_url(request, item=None) -> str:
    item = item or request.items.get()
    return reverse("admin:reports_takedownrequest_decide", args=[request.pk, item.pk])


def ask_info_url(request) -> str:
    return reverse("admin:reports_takedownrequest_ask_info", args=[request.pk])


def escalate_url(request) -> str:
    return reverse("admin:reports_takedownrequest_escalate", args=[request.pk])


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    return {field or "__all__": list(errors) for field, errors in response.context["form"].errors.items()}


def event_types(request) -> list[str]:
    return list(AuditEvent.objects.filter(request=request).order_by("id").values_list("event_type", flat=True))


@pytest.fixture
def claimed(file_request, request):
    """claimed(queue, reviewer_fixture_name) -> a request of that queue, held by that reviewer."""
    def make(queue: str, reviewer, **fields) -> TakedownRequest:
        takedown = file_request(queue, **fields)
        request_claim(reviewer=reviewer, request=takedown)
        return takedown

    return make


# --- Decisions ---------------------------------------------------------------------------------

def test_policy_reviewer_removes_violating_content_globally(client_for, claimed, policy_reviewer,
                                                            django_capture_on_commit_callbacks):
    takedown = claimed("policy", policy_reviewer)
    item = takedown.items.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(policy_reviewer).post(decide_url(takedown), {
            "action": "remove_globally", "reason_code": "policy_violation",
            "rationale": "A call to burn down the akimat and kill police officers: CS-VIOLENCE-1."}, follow=True)

    assert response.redirect_chain[-1][0] == page(takedown)
    assert shown_messages(response) == [
        "Item 1: Remove globally (violates platform policy). "
        f"{takedown.reference} is decided: action on every item; the requester has been told."]
    takedown.refresh_from_db()
    assert (takedown.status, takedown.outcome, takedown.claimed_by) == (Status.DECIDED, Outcome.FULL, None)
    decision = Decision.objects.get(item=item)
    assert (decision.action, decision.reason_code, decision.reviewer, decision.contradicts_checks) == (
        "remove_globally", "policy_violation", policy_reviewer, False)
    content = ContentItem.objects.get(pk=item.content_id)
    assert content.removed_globally_at is not None and content.removed_by_request_id == takedown.pk
    assert event_types(takedown)[-2:] == ["item_decided", "request_decided"]
    assert [m.subject for m in mail.outbox] == [f"{takedown.reference}: decision made"]
    assert mail.outbox[0].to == [takedown.submitted_by.reporter_account.work_email]


def test_legal_reviewer_restricts_content_in_the_requesters_jurisdiction_only(client_for, claimed, legal_reviewer,
                                                                              django_capture_on_commit_callbacks):
    takedown = claimed("legal", legal_reviewer)
    item = takedown.items.get()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(legal_reviewer).post(decide_url(takedown), {
            "action": "restrict_in_jurisdiction", "reason_code": "unlawful_locally",
            "rationale": "A court order under art. 174 covers this post; withheld in Kazakhstan only."})

    takedown.refresh_from_db()
    assert (takedown.status, takedown.outcome) == (Status.DECIDED, Outcome.FULL)
    restriction = ContentRestriction.objects.get(content_id=item.content_id)
    assert (restriction.country, restriction.request_id, restriction.lifted_at) == ("KZ", takedown.pk, None)
    content = ContentItem.objects.get(pk=item.content_id)
    assert content.removed_globally_at is None
    assert not content.visible_in("KZ") and content.visible_in("DE")
    assert event_types(takedown)[-2:] == ["item_decided", "request_decided"]
    assert [m.subject for m in mail.outbox] == [f"{takedown.reference}: decision made"]


def test_human_rights_reviewer_takes_no_action_and_the_content_stays_visible(client_for, claimed, hr_reviewer,
                                                                             django_capture_on_commit_callbacks):
    takedown = claimed("human_rights", hr_reviewer)
    item = takedown.items.get()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(hr_reviewer).post(decide_url(takedown), {
            "action": "no_action", "reason_code": "human_rights",
            "rationale": "Public-interest journalism about public spending; no legitimate aim for restricting it."})

    takedown.refresh_from_db()
    assert (takedown.status, takedown.outcome) == (Status.DECIDED, Outcome.NONE)
    assert Decision.objects.get(item=item).action == "no_action"
    content = ContentItem.objects.get(pk=item.content_id)
    assert content.removed_globally_at is None and content.visible_in("KZ")
    assert not ContentRestriction.objects.filter(content=content).exists()
    assert [m.subject for m in mail.outbox] == [f"{takedown.reference}: decision made"]


def test_a_decision_without_rationale_or_reason_is_refused_and_nothing_is_saved(client_for, claimed, policy_reviewer):
    takedown = claimed("policy", policy_reviewer)
    before = event_types(takedown)

    response = client_for(policy_reviewer).post(decide_url(takedown), {
        "action": "remove_globally", "reason_code": "", "rationale": "   "})

    assert form_errors(response) == {
        "reason_code": ["For “Remove globally” the reason must be “Violates platform policy”."],
        "rationale": ["Write the rationale: it is shown to the requester and kept in the record."],
    }
    assert not Decision.objects.filter(request=takedown).exists()
    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by) == (Status.IN_REVIEW, policy_reviewer)
    assert event_types(takedown) == before


def test_a_decision_without_an_action_is_refused(client_for, claimed, policy_reviewer):
    takedown = claimed("policy", policy_reviewer)

    response = client_for(policy_reviewer).post(decide_url(takedown), {"reason_code": "policy_violation",
                                                                       "rationale": "Violent threat."})

    assert form_errors(response) == {"action": [
        "Choose an action: remove globally, restrict in the requester's jurisdiction, or no action."]}
    assert not Decision.objects.filter(request=takedown).exists()


def test_the_decide_page_shows_the_contradiction_warning_before_submitting(client_for, claimed, hr_reviewer):
    takedown = claimed("human_rights", hr_reviewer)

    response = client_for(hr_reviewer).get(decide_url(takedown))

    html = response.content.decode()
    assert ("goes against the automated findings — the human-rights check marked this request high risk; "
            "the local-law check found no valid legal basis.") in html
    assert "Only a senior reviewer can make this decision" in html
    assert takedown.items.get().snapshot["text"][:40] in html


def test_a_non_senior_reviewer_cannot_make_a_decision_that_contradicts_the_checks(client_for, claimed, hr_reviewer):
    takedown = claimed("human_rights", hr_reviewer)
    item = takedown.items.get()

    response = client_for(hr_reviewer).post(decide_url(takedown), {
        "action": "restrict_in_jurisdiction", "reason_code": "unlawful_locally", "confirm_contradiction": "on",
        "rationale": "The ministry says the report is false."})

    assert form_errors(response) == {"__all__": [
        "This decision goes against the automated findings (the human-rights check marked this request high risk; "
        "the local-law check found no valid legal basis): a senior reviewer must make it."]}
    assert not Decision.objects.filter(item=item).exists()
    assert not ContentRestriction.objects.filter(content_id=item.content_id).exists()
    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by) == (Status.IN_REVIEW, hr_reviewer)


def test_a_senior_reviewer_must_confirm_and_then_can_make_a_contradicting_decision(client_for,
        claimed, senior_reviewer, django_capture_on_commit_callbacks):
    takedown = claimed("human_rights", senior_reviewer)
    item = takedown.items.get()
    data = {"action": "restrict_in_jurisdiction", "reason_code": "unlawful_locally",
            "rationale": "Exceptionally: a court has since confirmed the post is unlawful in Kazakhstan."}
    client = client_for(senior_reviewer)

    # given: not confirmed, the decision is held back with the warning
    response = client.post(decide_url(takedown), data)
    assert form_errors(response) == {"confirm_contradiction": [
        "This decision goes against the automated findings (the human-rights check marked this request high risk; "
        "the local-law check found no valid legal basis): tick the box to confirm it."]}
    assert not Decision.objects.filter(item=item).exists()

    # when: confirmed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(decide_url(takedown), {**data, "confirm_contradiction": "on"})

    # then
    decision = Decision.objects.get(item=item)
    assert (decision.contradicts_checks, decision.reviewer_tier) == (True, "senior_reviewer")
    assert ContentRestriction.objects.filter(content_id=item.content_id, country="KZ").exists()
    event = AuditEvent.objects.get(request=takedown, event_type="item_decided")
    assert event.payload["contradicts_checks"] is True and event.payload["tier"] == "senior_reviewer"


def test_a_policy_reviewer_cannot_leave_a_critical_violation_up(client_for, claimed, policy_reviewer):
    takedown = claimed("policy", policy_reviewer)

    response = client_for(policy_reviewer).post(decide_url(takedown), {
        "action": "no_action", "reason_code": "not_unlawful", "rationale": "Hyperbole.", "confirm_contradiction": "on"})

    assert form_errors(response) == {"__all__": [
        "This decision goes against the automated findings (the platform-policy check found a critical violation "
        "in this item): a senior reviewer must make it."]}
    assert not Decision.objects.filter(request=takedown).exists()


def test_deciding_needs_the_claim(client_for, file_request, policy_reviewer, senior_reviewer):
    takedown = file_request("policy")
    request_claim(reviewer=senior_reviewer, request=takedown)
    client = client_for(policy_reviewer)

    # The page sends a reviewer without the claim back to the request ...
    response = client.get(decide_url(takedown), follow=True)
    assert response.redirect_chain[-1][0] == page(takedown)
    assert shown_messages(response) == [f"Claim {takedown.reference} before acting on it."]
    # ... and a POST is refused by the service.
    response = client.post(decide_url(takedown), {"action": "remove_globally", "reason_code": "policy_violation",
                                                  "rationale": "Violent threat."})
    assert form_errors(response) == {"__all__": [f"{takedown.reference} is not claimed by you; claim it first."]}
    assert not Decision.objects.filter(request=takedown).exists()


def test_auditor_cannot_decide(client_for, file_request, auditor, senior_reviewer):
    takedown = file_request("policy")
    request_claim(reviewer=senior_reviewer, request=takedown)

    response = client_for(auditor).post(decide_url(takedown), {
        "action": "remove_globally", "reason_code": "policy_violation", "rationale": "Violent threat."})

    assert response.status_code == 403
    assert not Decision.objects.filter(request=takedown).exists()


def test_each_item_is_decided_once_and_the_request_when_all_are(client_for, claimed, legal_reviewer,
                                                                harmless_content_code,
                                                                journalist_content_code,
                                                                django_capture_on_commit_callbacks):
    from filing.inputs import CourtOrderInput

    takedown = claimed("legal", legal_reviewer, content=[harmless_content_code, journalist_content_code],
                       category="defamation", legal_basis=[], requested_action="restrict_in_jurisdiction",
                       court_order=CourtOrderInput("Almaty district court", "2-555/2021", None))
    first, second = takedown.items.order_by("position")
    client = client_for(legal_reviewer)
    restrict = {"action": "restrict_in_jurisdiction", "reason_code": "unlawful_locally",
                "rationale": "The court found this statement defamatory."}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(takedown, first), restrict, follow=True)
    assert shown_messages(response) == ["Item 1: Restrict in the requester's jurisdiction (unlawful locally, "
                                        "passes human-rights review)."]
    assert TakedownRequest.objects.get(pk=takedown.pk).status == Status.IN_REVIEW
    assert mail.outbox == []

    # The same item cannot be decided again in this round.
    response = client.post(decide_url(takedown, first), {**restrict, "action": "no_action",
                                                         "reason_code": "not_unlawful"})
    assert form_errors(response) == {"__all__": [f"Item 1 of {takedown.reference} is already decided in this round."]}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(decide_url(takedown, second), {"action": "no_action", "reason_code": "not_unlawful",
                                                   "rationale": "Reporting on a matter of public interest."})
    takedown.refresh_from_db()
    assert (takedown.status, takedown.outcome) == (Status.DECIDED, Outcome.PARTIAL)
    assert list(Decision.objects.filter(request=takedown).order_by("item__position")
                .values_list("action", flat=True)) == ["restrict_in_jurisdiction", "no_action"]
    assert [m.subject for m in mail.outbox] == [f"{takedown.reference}: decision made"]


# --- Asking for information --------------------------------------------------------------------

def test_reviewer_asks_the_requester_for_information(client_for, claimed, legal_reviewer,
                                                     django_capture_on_commit_callbacks):
    takedown = claimed("legal", legal_reviewer)
    question = "Please attach the court order itself; the case number alone cannot be verified."

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(legal_reviewer).post(ask_info_url(takedown), {"message": question}, follow=True)

    assert shown_messages(response) == [
        f"The requester has been asked; {takedown.reference} waits for their answer."]
    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by) == (Status.NEEDS_INFO, None)
    message = RequestMessage.objects.get(request=takedown, author=legal_reviewer)
    assert (message.kind, message.body) == ("info_request", question)
    event = AuditEvent.objects.filter(request=takedown, event_type="info_requested").get()
    assert (event.actor, event.payload["message"]) == (legal_reviewer, message.pk)
    assert [m.subject for m in mail.outbox] == [f"{takedown.reference}: information needed before review"]


@pytest.mark.parametrize(("queue", "person"), [("policy", "policy_reviewer"), ("human_rights", "hr_reviewer"),
                                               ("policy", "senior_reviewer")])
def test_every_tier_can_ask_the_requester_for_information(client_for, claimed, request, queue, person):
    reviewer = request.getfixturevalue(person)
    takedown = claimed(queue, reviewer)

    client_for(reviewer).post(ask_info_url(takedown), {"message": "Which court order do you rely on?"})

    takedown.refresh_from_db()
    assert (takedown.status, takedown.claimed_by) == (Status.NEEDS_INFO, None)
    assert RequestMessage.objects.filter(request=takedown, author=reviewer).count() == 1


def test_asking_for_information_needs_a_message(client_for, claimed, legal_reviewer):
    takedown = claimed("legal", legal_reviewer)

    response = client_for(legal_reviewer).post(ask_info_url(takedown), {"message": "  "})

    assert form_errors(response) == {"message": ["Say what information is needed."]}
    takedown.refresh_from_db()
    assert takedown.status == Status.IN_REVIEW
    assert not RequestMessage.objects.filter(request=takedown, author=legal_reviewer).exists()


def test_auditor_cannot_ask_for_information(client_for, file_request, auditor):
    takedown = file_request("legal")

    assert client_for(auditor).post(ask_info_url(takedown), {"message": "Why?"}).status_code == 403
    assert TakedownRequest.objects.get(pk=takedown.pk).status == Status.QUEUED


# --- Escalating --------------------------------------------------------------------------------

def test_policy_reviewer_escalates_to_the_human_rights_tier(client_for, claimed, policy_reviewer, hr_reviewer):
    takedown = claimed("policy", policy_reviewer)
    note = "The poster is an opposition activist; the threat needs a Rabat assessment."

    response = client_for(policy_reviewer).post(escalate_url(takedown), {"to_queue": "human_rights", "note": note},
                                                follow=True)

    assert shown_messages(response) == [
        f"{takedown.reference} waits in the human-rights escalation queue for that tier."]
    takedown.refresh_from_db()
    assert (takedown.status, takedown.queue, takedown.claimed_by, takedown.priority) == (
        Status.QUEUED, "human_rights", None, 1)
    event = AuditEvent.objects.get(request=takedown, event_type="request_escalated")
    assert event.payload == {"from": "policy", "to": "human_rights", "note": note}

    # The policy tier can no longer claim it; the human-rights tier can.
    client_for(policy_reviewer).post(reverse("admin:reports_takedownrequest_claim", args=[takedown.pk]))
    assert TakedownRequest.objects.get(pk=takedown.pk).claimed_by is None
    client_for(hr_reviewer).post(reverse("admin:reports_takedownrequest_claim", args=[takedown.pk]))
    assert TakedownRequest.objects.get(pk=takedown.pk).claimed_by == hr_reviewer


def test_senior_reviewer_escalates_a_legal_request_to_the_human_rights_tier(client_for, claimed, senior_reviewer):
    takedown = claimed("legal", senior_reviewer)

    client_for(senior_reviewer).post(escalate_url(takedown), {"to_queue": "human_rights",
                                                              "note": "The provision is criticised as overbroad."})

    takedown.refresh_from_db()
    assert (takedown.status, takedown.queue, takedown.priority, takedown.claimed_by) == (
        Status.QUEUED, "human_rights", 2, None)
    assert AuditEvent.objects.get(request=takedown, event_type="request_escalated").actor == senior_reviewer


def test_legal_reviewer_escalates_with_a_note_only(client_for, claimed, legal_reviewer):
    takedown = claimed("legal", legal_reviewer)

    response = client_for(legal_reviewer).post(escalate_url(takedown), {"to_queue": "human_rights", "note": ""})

    assert form_errors(response) == {"note": ["Say why the request is escalated."]}
    takedown.refresh_from_db()
    assert (takedown.status, takedown.queue, takedown.claimed_by) == (Status.IN_REVIEW, "legal", legal_reviewer)
    assert not AuditEvent.objects.filter(request=takedown, event_type="request_escalated").exists()


def test_escalating_to_the_queue_the_request_is_in_is_refused(client_for, claimed, hr_reviewer):
    takedown = claimed("human_rights", hr_reviewer)

    response = client_for(hr_reviewer).post(escalate_url(takedown), {"to_queue": "human_rights", "note": "Again."})

    assert form_errors(response) == {"to_queue": ["The request is already in that queue."]}


def test_auditor_cannot_escalate(client_for, file_request, auditor, senior_reviewer):
    takedown = file_request("legal")
    request_claim(reviewer=senior_reviewer, request=takedown)

    response = client_for(auditor).post(escalate_url(takedown), {"to_queue": "human_rights", "note": "Risky."})

    assert response.status_code == 403
    assert TakedownRequest.objects.get(pk=takedown.pk).queue == "legal"
