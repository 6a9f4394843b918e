"""Who may see and act on what: one agency never reaches another's requests; unverified accounts file nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from filing.inputs import RequestInput
from filing.services import evidence_attach, request_draft_save
from reports.models import ReporterAccount, RequestMessage, Status, TakedownRequest
from tests.builders import PDF, filed, pdf_upload, screened

pytestmark = pytest.mark.django_db


@pytest.fixture
def prosecutors_request(kz_prosecutor, harmless_content_code):
    """The Prosecutor General's Office's queued request, with a PDF."""
    request = screened(filed(kz_prosecutor, harmless_content_code))
    evidence_attach(reporter=kz_prosecutor, request=request, upload=pdf_upload())
    return request


def url(name: str, request: TakedownRequest, *args) -> str:
    return reverse(f"portal:{name}", args=[request.reference, *args])


@pytest.mark.parametrize("name", ["request-detail", "request-status", "draft-edit", "draft-review"])
def test_reporter_cannot_see_another_agencys_request(client, kz_reporter, prosecutors_request, name):
    client.force_login(kz_reporter.user)

    response = client.get(url(name, prosecutors_request))

    assert response.status_code == 404
    assert prosecutors_request.reference.encode() not in response.content


def test_reporter_cannot_download_another_agencys_evidence(client, kz_reporter, prosecutors_request):
    evidence = prosecutors_request.evidence.get()
    client.force_login(kz_reporter.user)

    response = client.get(url("evidence-download", prosecutors_request, evidence.pk))

    assert response.status_code == 404


def test_evidence_is_served_to_the_owning_agency_and_to_reviewers(client, kz_prosecutor, prosecutors_request,
                                                                  policy_reviewer):
    evidence = prosecutors_request.evidence.get()
    for person in (kz_prosecutor.user, policy_reviewer):
        client.force_login(person)

        response = client.get(url("evidence-download", prosecutors_request, evidence.pk))

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="order.pdf"'
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("who", ["outsider", "pending_reporter", "anonymous"])
def test_evidence_is_not_served_to_anyone_else(client, prosecutors_request, who, request):
    evidence = prosecutors_request.evidence.get()
    if who != "anonymous":
        person = request.getfixturevalue(who)
        client.force_login(getattr(person, "user", person))

    response = client.get(url("evidence-download", prosecutors_request, evidence.pk))

    assert response.status_code == (302 if who == "anonymous" else 404)


@pytest.mark.parametrize(("name", "data"), [
    ("request-respond", {"respond-message": "Here is the information."}),
    ("request-withdraw", {"withdraw-reason": "Mistake."}),
    ("request-reconsider", {"reconsider-message": "Please look again."}),
    ("evidence-add", {"evidence-evidence_kind": "supporting"}),
    ("draft-submit", {}),
    ("draft-edit", {"category": "hate_speech", "urgency": "standard", "evidence_kind": "supporting"}),
])
def test_reporter_cannot_act_on_another_agencys_request(client, kz_reporter, prosecutors_request, name, data):
    before = (prosecutors_request.status, RequestMessage.objects.count(), AuditEvent.objects.count(),
              prosecutors_request.evidence.count())
    client.force_login(kz_reporter.user)
    if name == "evidence-add":
        data = {**data, "evidence-evidence": pdf_upload()}

    response = client.post(url(name, prosecutors_request), data)

    assert response.status_code == 404
    prosecutors_request.refresh_from_db()
    assert (prosecutors_request.status, RequestMessage.objects.count(), AuditEvent.objects.count(),
            prosecutors_request.evidence.count()) == before


def test_a_colleague_of_the_same_agency_sees_the_request(client, kz_reporter, kz_colleague, harmless_content_code):
    request = screened(filed(kz_reporter, harmless_content_code))
    client.force_login(kz_colleague.user)

    response = client.get(url("request-detail", request))

    assert response.status_code == 200
    assert f"Request {request.reference}".encode() in response.content


def _reject(account: ReporterAccount, reason: str) -> None:
    account.verification, account.verification_note = ReporterAccount.Verification.REJECTED, reason
    account.save()


@pytest.mark.parametrize("state", ["pending", "rejected"])
def test_an_unverified_account_cannot_file_and_is_told_why(client, pending_reporter, harmless_content_code, state):
    # given: a draft saved while the account was verified, and an account now pending or rejected
    pending_reporter.verification = ReporterAccount.Verification.VERIFIED
    pending_reporter.save()
    draft = request_draft_save(reporter=pending_reporter, data=RequestInput(category="hate_speech"))
    pending_reporter.verification = ReporterAccount.Verification.PENDING
    pending_reporter.save()
    if state == "rejected":
        _reject(pending_reporter, "The police department did not confirm your post.")
    client.force_login(pending_reporter.user)

    # when
    response = client.post(url("draft-submit", draft))

    # then
    assert response.status_code == 403
    assert b"Your account is not verified" in response.content
    if state == "pending":
        assert b"Waiting for verification" in response.content
    else:
        assert b"The police department did not confirm your post." in response.content
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert not AuditEvent.objects.filter(event_type="request_submitted").exists()


def test_an_unverified_account_sees_no_agency_requests(client, pending_reporter, harmless_content_code):
    from reports.models import Agency
    from tests.factories import ReporterFactory, UserFactory

    police = ReporterFactory(user=UserFactory(username="police_officer"), agency=Agency.objects.get(code="kz-police"))
    request = filed(police, harmless_content_code)
    client.force_login(pending_reporter.user)

    dashboard = client.get(reverse("portal:dashboard"))
    detail = client.get(url("request-detail", request))

    assert dashboard.status_code == 200
    assert b"Waiting for verification" in dashboard.content
    assert request.reference.encode() not in dashboard.content
    assert detail.status_code == 403


def test_an_unverified_account_has_no_report_button_and_cannot_report(client, pending_reporter,
                                                                      harmless_content_code):
    client.force_login(pending_reporter.user)

    feed = client.get(reverse("portal:platform"))
    report = client.post(reverse("portal:platform-report"), {"content": harmless_content_code})

    assert b"you can report posts only once platform staff verify your account" in feed.content
    assert b'name="content"' not in feed.content
    assert report.status_code == 403
    assert not TakedownRequest.objects.exists()


def test_someone_without_a_reporter_account_is_told_the_portal_is_for_reporters(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 403
    assert b"This page is for government reporters" in response.content


def test_anonymous_visitors_are_sent_to_log_in(client, kz_scenario):
    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/portal/"


def test_the_report_button_needs_the_csrf_token(kz_reporter, harmless_content_code):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(kz_reporter.user)

    response = client.post(reverse("portal:platform-report"), {"content": harmless_content_code})

    assert response.status_code == 403
    assert not TakedownRequest.objects.exists()
