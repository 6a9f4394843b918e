"""Platform staff verify and reject registrations in the admin (reports/admin.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from filing.services import AgencyProposal, reporter_register
from reports.models import Agency, ReporterAccount

pytestmark = pytest.mark.django_db

PASSWORD = "Steppe-Wind-2021-quiet"
CHANGELIST = "/admin/reports/reporteraccount/"


@pytest.fixture
def registrant(kz_scenario) -> ReporterAccount:
    return reporter_register(username="aliya.n", password=PASSWORD, official_title="Chief specialist",
                             work_email="a.nurlanova@misd.gov.example", agency=Agency.objects.get(code="kz-misd"))


@pytest.fixture
def staff_client(client, platform_staff):
    client.force_login(platform_staff)
    return client


def test_platform_staff_see_pending_accounts(staff_client, registrant, kz_reporter):
    response = staff_client.get(CHANGELIST, {"verification__exact": "pending"})

    html = response.content.decode()
    assert response.status_code == 200
    assert ">aliya.n</a>" in html
    assert ">kz_reporter</a>" not in html
    assert "Verify selected reporter accounts" in html


def test_verifying_in_the_admin_is_audited_and_emailed(staff_client, registrant, platform_staff, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    verify = reverse("admin:reports_reporteraccount_verify", args=[registrant.pk])
    change = staff_client.get(reverse("admin:reports_reporteraccount_change", args=[registrant.pk]))
    assert f'href="{verify}"'.encode() in change.content

    confirm = staff_client.get(verify)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(verify, follow=True)

    assert b"Yes, verify this account" in confirm.content
    assert (b"Verified: aliya.n can now file requests, and has been told by e-mail at "
            b"a.nurlanova@misd.gov.example.") in response.content
    registrant.refresh_from_db()
    assert (registrant.verification, registrant.verified_by) == (ReporterAccount.Verification.VERIFIED,
                                                                 platform_staff)
    assert AuditEvent.objects.get(event_type="reporter_verified").actor == platform_staff
    assert [m.to for m in mailoutbox] == [["a.nurlanova@misd.gov.example"]]


def test_rejecting_in_the_admin_asks_for_a_reason(staff_client, registrant, mailoutbox,
                                                  django_capture_on_commit_callbacks):
    reject = reverse("admin:reports_reporteraccount_reject", args=[registrant.pk])

    without = staff_client.post(reject, {"reason": ""})
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reject, {"reason": "The ministry does not know this person."})

    assert without.status_code == 200
    assert b"This field is required." in without.content
    registrant.refresh_from_db()
    assert (registrant.verification, registrant.verification_note) == (
        ReporterAccount.Verification.REJECTED, "The ministry does not know this person.")
    assert AuditEvent.objects.filter(event_type="reporter_rejected").count() == 1
    assert [m.subject for m in mailoutbox] == ["Your CRS reporter account was not verified"]


def test_bulk_actions_verify_and_reject_with_one_reason(staff_client, registrant, kz_scenario):
    other = reporter_register(username="berik", password=PASSWORD, official_title="Inspector",
                              work_email="berik@police.gov.example", agency=Agency.objects.get(code="kz-police"))

    staff_client.post(CHANGELIST, {"action": "verify_selected", "_selected_action": [registrant.pk]})
    asked = staff_client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": [other.pk]})
    staff_client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": [other.pk], "apply": "1",
                                   "reason": "Not on the police staff list."})

    assert b'name="reason"' in asked.content
    registrant.refresh_from_db()
    other.refresh_from_db()
    assert registrant.verification == ReporterAccount.Verification.VERIFIED
    assert (other.verification, other.verification_note) == (ReporterAccount.Verification.REJECTED,
                                                             "Not on the police staff list.")


def test_a_reviewer_cannot_verify_or_reject(client, registrant, policy_reviewer):
    client.force_login(policy_reviewer)

    verify = client.post(reverse("admin:reports_reporteraccount_verify", args=[registrant.pk]))
    reject = client.post(reverse("admin:reports_reporteraccount_reject", args=[registrant.pk]), {"reason": "No."})
    action = client.post(CHANGELIST, {"action": "verify_selected", "_selected_action": [registrant.pk]})

    assert (verify.status_code, reject.status_code, action.status_code) == (403, 403, 403)
    registrant.refresh_from_db()
    assert registrant.verification == ReporterAccount.Verification.PENDING


def test_the_verification_state_cannot_be_edited_directly(staff_client, registrant):
    staff_client.post(reverse("admin:reports_reporteraccount_change", args=[registrant.pk]),
                      {"verification": "verified", "official_title": "Minister"})

    registrant.refresh_from_db()
    assert (registrant.verification, registrant.official_title) == (ReporterAccount.Verification.PENDING,
                                                                    "Chief specialist")


def test_proposed_agencies_are_listed_with_their_pending_accounts(staff_client, kz_scenario):
    reporter_register(username="berik", password=PASSWORD, official_title="Deputy akim",
                      work_email="berik@almaty.gov.example",
                      proposal=AgencyProposal("KZ", "Akimat of Almaty", "regulator"))

    response = staff_client.get("/admin/reports/agency/", {"state__exact": "proposed"})

    html = response.content.decode()
    assert "Akimat of Almaty" in html
    assert '?q=kz-akimat-of-almaty">1 (1 pending)</a>' in html
    assert "Ministry of Information and Social Development" not in html
