"""The request page: where a request stands, its record, and the requester's answers, withdrawals and appeals."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from reports.models import RequestMessage, Status
from review.models import Decision
from review.services import item_decide, request_ask_info, request_claim
from tests.builders import JUSTIFICATION, PNG, filed, pdf_upload, screened

pytestmark = pytest.mark.django_db


@pytest.fixture
def reporter_client(client, kz_reporter):
    client.force_login(kz_reporter.user)
    return client


@pytest.fixture
def queued(kz_reporter, harmless_content_code):
    request = screened(filed(kz_reporter, harmless_content_code))
    assert (request.status, request.queue) == (Status.QUEUED, "legal")
    return request


@pytest.fixture
def needs_info(kz_reporter, harmless_content_code):
    request = screened(filed(kz_reporter, harmless_content_code, legal_basis=[], justification="",
                                    requested_action="", court_order=None))
    assert request.status == Status.NEEDS_INFO
    return request


@pytest.fixture
def decided(queued, legal_reviewer):
    request_claim(reviewer=legal_reviewer, request=queued)
    item_decide(reviewer=legal_reviewer, item=queued.items.get(), action=Decision.Action.NO_ACTION,
                reason_code=Decision.Reason.NOT_UNLAWFUL, rationale="Criticism of prices is not incitement.")
    queued.refresh_from_db()
    return queued


def page(client, request, name="request-detail"):
    return client.get(reverse(f"portal:{name}", args=[request.reference]))


def post(client, request, name, data):
    return client.post(reverse(f"portal:{name}", args=[request.reference]), data)


def text(response) -> str:
    """The page's visible words, on one line, for phrases that wrap in the template."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_page_shows_status_queue_checks_and_the_timeline_from_the_audit_log(reporter_client, queued):
    response = page(reporter_client, queued)

    words = text(response)
    assert response.status_code == 200
    assert "Status: Queued" in words
    assert "Queue Local law, position 1" in words
    assert "Priority 3 (1 is the most urgent)" in words
    for check in ("Completeness: Complete", "Platform policy: No violation", "Local law: Supported by the cited law",
                  "Human rights: Low risk"):
        assert check in words
    assert "The request is supported by KZ-CC-174 and a court order." in words
    timeline = [e.event_type for e in AuditEvent.objects.filter(request=queued).order_by("id")]
    assert timeline == ["request_submitted", "screening_started"] + ["check_completed"] * 4 + ["request_routed"]
    assert words.index("Submitted by Ministry of Information and Social Development") < words.index(
        "Queued for Local law review (priority 3)")


def test_the_page_loads_its_script_from_the_site_only(reporter_client, queued):
    response = page(reporter_client, queued)

    html = response.content.decode()
    assert '<script src="/static/portal/live.js" defer></script>' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "onclick" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_status_endpoint_answers_what_the_page_would_show(reporter_client, kz_reporter, harmless_content_code):
    request = filed(kz_reporter, harmless_content_code)
    before = status_json(reporter_client, request)

    screened(request)
    after = status_json(reporter_client, request)

    assert (before["status"], before["queue_position"], before["final"]) == ("submitted", None, False)
    assert {k: after[k] for k in ("reference", "status", "status_label", "queue", "queue_label", "queue_position",
                                  "priority", "outcome", "actions")} == {
        "reference": request.reference, "status": "queued", "status_label": "Queued", "queue": "legal",
        "queue_label": "Local law", "queue_position": 1, "priority": 3, "outcome": "",
        "actions": ["withdraw", "evidence"]}
    assert after["key"] != before["key"]
    assert after["last_event"] == AuditEvent.objects.filter(request=request).latest("id").pk


def status_json(client, request) -> dict:
    response = page(client, request, "request-status")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    return response.json()


def test_the_queue_position_counts_the_requests_a_reviewer_takes_first_whoever_sent_them(
        reporter_client, kz_reporter, kz_prosecutor, harmless_content_code):
    ahead = screened(filed(kz_prosecutor, harmless_content_code))
    mine = screened(filed(kz_reporter, harmless_content_code))
    urgent = screened(filed(kz_reporter, harmless_content_code, urgency="imminent_harm"))

    positions = {r.reference: page(reporter_client, r, "request-status").json()["queue_position"]
                 for r in (mine, urgent)}

    assert ahead.queue == mine.queue == urgent.queue == "legal"
    assert positions == {urgent.reference: 1, mine.reference: 3}


def test_answering_a_request_for_information_records_only_what_changed(reporter_client, needs_info):
    response = post(reporter_client, needs_info, "request-respond", {
        "respond-message": "The post breaks art. 174; see the corrected justification.",
        "respond-justification": JUSTIFICATION, "respond-legal_basis": ["KZ-CC-174"],
        "respond-court_name": "", "respond-court_case_number": "", "respond-court_order_date": ""})

    assert response.status_code == 302
    needs_info.refresh_from_db()
    assert (needs_info.status, needs_info.justification) == (Status.SUBMITTED, JUSTIFICATION)
    assert [c.provision.code for c in needs_info.citations.all()] == ["KZ-CC-174"]
    answer = needs_info.messages.get(kind=RequestMessage.Kind.INFO_RESPONSE)
    assert answer.body == "The post breaks art. 174; see the corrected justification."
    event = AuditEvent.objects.get(request=needs_info, event_type="info_provided")
    assert event.payload == {"message": answer.pk, "changed": ["justification", "legal_basis"]}


def test_an_answer_without_a_message_is_refused_and_keeps_the_typed_corrections(reporter_client, needs_info):
    response = post(reporter_client, needs_info, "request-respond", {
        "respond-message": "  ", "respond-justification": JUSTIFICATION})

    assert response.status_code == 400
    html = response.content.decode()
    assert '<ul class="errors" id="id_respond-message_error"><li>Write a message.</li></ul>' in html
    assert JUSTIFICATION in html
    assert "<details class=\"corrections\" open>" in html
    needs_info.refresh_from_db()
    assert (needs_info.status, needs_info.justification) == (Status.NEEDS_INFO, "")
    assert not needs_info.messages.filter(kind=RequestMessage.Kind.INFO_RESPONSE).exists()


def test_the_reviewers_question_is_shown_above_the_answer_form(reporter_client, queued, legal_reviewer):
    request_claim(reviewer=legal_reviewer, request=queued)
    request_ask_info(reviewer=legal_reviewer, request=queued, message="Which sentence is unlawful?")

    response = page(reporter_client, queued)

    words = text(response)
    assert "Answer the request for information" in words
    assert "The platform asked: Which sentence is unlawful?" in words


def test_answering_is_refused_when_no_information_was_asked(reporter_client, queued):
    response = post(reporter_client, queued, "request-respond", {"respond-message": "Unasked."})

    assert response.status_code == 302
    follow = reporter_client.get(response["Location"])
    assert f"{queued.reference} is not waiting for information.".encode() in follow.content
    assert not queued.messages.exists()


def test_withdrawing_a_queued_request(reporter_client, queued):
    response = post(reporter_client, queued, "request-withdraw", {"withdraw-reason": "Resolved locally."})

    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == Status.WITHDRAWN
    event = AuditEvent.objects.get(request=queued, event_type="request_withdrawn")
    assert event.payload == {"from": "queued", "reason": "Resolved locally."}
    assert page(reporter_client, queued, "request-status").json()["final"] is True


def test_withdrawing_after_the_decision_is_refused_with_the_reason(reporter_client, decided):
    response = post(reporter_client, decided, "request-withdraw", {"withdraw-reason": "Too late."})

    follow = reporter_client.get(response["Location"])
    assert f"{decided.reference} cannot be withdrawn while it is decided.".encode() in follow.content
    decided.refresh_from_db()
    assert decided.status == Status.DECIDED


def test_the_decision_and_its_rationale_are_shown(reporter_client, decided):
    words = text(page(reporter_client, decided))

    assert "Status: Decided" in words
    assert "Outcome No action on any item" in words
    assert "Decision: No action" in words
    assert "Reason: Not shown to be unlawful" in words
    assert "Criticism of prices is not incitement." in words
    assert "Ask for reconsideration" in words


def test_asking_for_reconsideration_once_returns_the_request_to_its_queue(reporter_client, decided):
    first = post(reporter_client, decided, "request-reconsider",
                 {"reconsider-message": "The post names an ethnic group."})

    assert first.status_code == 302
    decided.refresh_from_db()
    assert (decided.status, decided.queue, decided.review_round) == (Status.QUEUED, "legal", 2)
    assert decided.messages.get(kind=RequestMessage.Kind.RECONSIDERATION).body == "The post names an ethnic group."


def test_a_reconsideration_without_reasons_is_refused_next_to_the_field(reporter_client, decided):
    response = post(reporter_client, decided, "request-reconsider", {"reconsider-message": ""})

    assert response.status_code == 400
    assert b'<ul class="errors" id="id_reconsider-message_error"><li>Write a message.</li></ul>' in response.content
    decided.refresh_from_db()
    assert decided.status == Status.DECIDED


def test_evidence_can_be_added_while_the_request_is_open(reporter_client, queued):
    response = post(reporter_client, queued, "evidence-add", {
        "evidence-evidence": pdf_upload("photo.png", PNG), "evidence-evidence_kind": "supporting"})

    assert response.status_code == 302
    evidence = queued.evidence.get()
    assert (evidence.content_type, evidence.original_name) == ("image/png", "photo.png")
    assert AuditEvent.objects.filter(request=queued, event_type="evidence_added").count() == 1


def test_a_bad_upload_on_the_request_page_is_refused_next_to_the_field(reporter_client, queued):
    response = post(reporter_client, queued, "evidence-add", {
        "evidence-evidence": pdf_upload("notes.pdf", b"plain text"), "evidence-evidence_kind": "supporting"})

    assert response.status_code == 400
    assert (b'<ul class="errors" id="id_evidence-evidence_error"><li>Only PDF, PNG and JPEG files are accepted; '
            b"this file is none of them.</li></ul>") in response.content
    assert not queued.evidence.exists()


def test_a_draft_opens_in_the_draft_form(reporter_client, kz_reporter):
    from filing.inputs import RequestInput
    from filing.services import request_draft_save

    draft = request_draft_save(reporter=kz_reporter, data=RequestInput())

    response = page(reporter_client, draft)

    assert response["Location"] == reverse("portal:draft-edit", args=[draft.reference])


def test_an_answer_that_leaves_the_citations_alone_keeps_one_from_another_catalog(
        reporter_client, kz_reporter, harmless_content_code, de_reporter):
    foreign = de_reporter.agency.jurisdiction.provisions.order_by("code").first().code
    request = screened(filed(kz_reporter, harmless_content_code, legal_basis=["KZ-CC-174", foreign],
                                    justification=""))
    assert request.status == Status.NEEDS_INFO

    post(reporter_client, request, "request-respond", {
        "respond-message": "Justification added.", "respond-justification": JUSTIFICATION,
        "respond-legal_basis": ["KZ-CC-174"], "respond-court_name": "Medeu District Court of Almaty",
        "respond-court_case_number": "2-1187/2021", "respond-court_order_date": ""})

    assert [c.provision.code for c in request.citations.order_by("position")] == ["KZ-CC-174", foreign]
    assert AuditEvent.objects.get(request=request, event_type="info_provided").payload["changed"] == [
        "justification"]
