"""Registration and verification of reporter accounts (reports/accounts.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from filing.services import AgencyProposal, reporter_register, reporter_reject, reporter_verify
from reports import roles
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.models import Agency, ReporterAccount
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db

PASSWORD = "Steppe-Wind-2021-quiet"


def register(**overrides) -> ReporterAccount:
    fields = {"username": "aliya.n", "password": PASSWORD, "official_title": "Chief specialist",
              "work_email": "a.nurlanova@misd.gov.example", "agency": Agency.objects.get(code="kz-misd"), **overrides}
    return reporter_register(**fields)


def test_registration_creates_a_pending_account_and_records_it(kz_scenario):
    account = register()

    assert account.verification == ReporterAccount.Verification.PENDING
    assert not account.can_file
    assert account.user.check_password(PASSWORD)
    assert account.user.email == "a.nurlanova@misd.gov.example"
    event = AuditEvent.objects.get(event_type="reporter_registered")
    assert (event.actor, event.actor_role, event.payload) == (
        account.user, roles.REPORTER, {"agency": "kz-misd", "agency_state": "active"})


def test_proposing_an_agency_creates_it_as_proposed(kz_scenario):
    account = register(agency=None, proposal=AgencyProposal(jurisdiction="kz", name="  Akimat of   Almaty ",
                                                            authority_type="regulator"))

    agency = account.agency
    assert (agency.name, agency.jurisdiction_id, agency.authority_type, agency.state) == (
        "Akimat of Almaty", "KZ", "regulator", Agency.State.PROPOSED)
    assert agency.code == "kz-akimat-of-almaty"
    assert AuditEvent.objects.get(event_type="reporter_registered").payload["agency_state"] == "proposed"


def test_a_second_proposal_of_the_same_agency_joins_the_first(kz_scenario):
    first = register(agency=None, proposal=AgencyProposal("KZ", "Akimat of Almaty", "regulator"))
    second = register(username="berik", agency=None, proposal=AgencyProposal("KZ", "akimat of almaty", "regulator"))

    assert second.agency == first.agency
    assert Agency.objects.filter(name__iexact="akimat of almaty").count() == 1


def test_proposing_a_listed_agency_is_refused_pointing_to_the_list(kz_scenario):
    with pytest.raises(InvalidInput) as refused:
        register(agency=None, proposal=AgencyProposal("KZ", "Prosecutor General's Office", "prosecutor"))

    assert refused.value.fields == {"proposed_agency.name": [
        "Prosecutor General's Office is already listed: choose it in the list of agencies."]}
    assert not get_user_model().objects.filter(username="aliya.n").exists()


def test_every_registration_problem_is_reported_at_once_and_nothing_is_written(kz_scenario):
    get_user_model().objects.create_user(username="taken", password=PASSWORD)
    agencies = Agency.objects.count()

    with pytest.raises(InvalidInput) as refused:
        register(username="Taken", password="123", official_title=" ", work_email="not-an-address", agency=None,
                 proposal=AgencyProposal("XX", "", "embassy"))

    assert refused.value.fields == {
        "username": ["This username is taken; choose another."],
        "official_title": ["Give your official title, as it appears in your agency's records."],
        "work_email": ["Enter your work e-mail address, e.g. name@ministry.gov.example."],
        "password": ["This password is too short. It must contain at least 10 characters.",
                     "This password is too common.", "This password is entirely numeric."],
        "proposed_agency.jurisdiction": ["Choose the jurisdiction the agency belongs to."],
        "proposed_agency.name": ["Give the agency's official name."],
        "proposed_agency.authority_type": ["Choose the kind of authority."],
    }
    assert ReporterAccount.objects.count() == 0
    assert Agency.objects.count() == agencies
    assert not AuditEvent.objects.filter(event_type="reporter_registered").exists()


def test_registering_for_a_proposed_agency_by_choosing_it_is_refused(kz_scenario):
    proposed = register(agency=None, proposal=AgencyProposal("KZ", "Akimat of Almaty", "regulator")).agency

    with pytest.raises(InvalidInput) as refused:
        register(username="berik", agency=proposed)

    assert refused.value.fields == {"agency": ["Choose an agency from the list."]}


def test_platform_staff_verify_an_account_which_is_audited_and_emailed(
        kz_scenario, platform_staff, django_capture_on_commit_callbacks, mailoutbox):
    account = register()

    with django_capture_on_commit_callbacks(execute=True):
        reporter_verify(actor=platform_staff, account=account)

    account.refresh_from_db()
    assert (account.verification, account.verified_by, account.can_file) == (
        ReporterAccount.Verification.VERIFIED, platform_staff, True)
    assert account.verified_at is not None
    event = AuditEvent.objects.get(event_type="reporter_verified")
    assert (event.actor, event.actor_role, event.payload) == (
        platform_staff, roles.PLATFORM_STAFF, {"reporter": f"user:{account.user_id}", "agency": "kz-misd", "note": ""})
    assert len(mailoutbox) == 1
    assert (mailoutbox[0].subject, mailoutbox[0].to) == ("Your CRS reporter account is verified",
                                                         ["a.nurlanova@misd.gov.example"])
    assert "/portal/" in mailoutbox[0].body


def test_platform_staff_reject_an_account_with_a_reason_which_is_audited_and_emailed(
        kz_scenario, platform_staff, django_capture_on_commit_callbacks, mailoutbox):
    account = register()

    with django_capture_on_commit_callbacks(execute=True):
        reporter_reject(actor=platform_staff, account=account, reason="  The ministry does not know this person. ")

    account.refresh_from_db()
    assert (account.verification, account.verification_note, account.can_file) == (
        ReporterAccount.Verification.REJECTED, "The ministry does not know this person.", False)
    event = AuditEvent.objects.get(event_type="reporter_rejected")
    assert event.actor == platform_staff
    assert event.payload["note"] == "The ministry does not know this person."
    assert [m.subject for m in mailoutbox] == ["Your CRS reporter account was not verified"]
    assert "Reason: The ministry does not know this person." in mailoutbox[0].body


def test_a_rejection_needs_a_reason(kz_scenario, platform_staff, mailoutbox):
    account = register()

    with pytest.raises(InvalidInput) as refused:
        reporter_reject(actor=platform_staff, account=account, reason="   ")

    assert refused.value.fields == {
        "reason": ["Give the reason: the person is shown it and it is kept in the record."]}
    account.refresh_from_db()
    assert account.verification == ReporterAccount.Verification.PENDING
    assert not AuditEvent.objects.filter(event_type="reporter_rejected").exists()
    assert mailoutbox == []


@pytest.mark.parametrize("role", [None, roles.POLICY_REVIEWER, roles.AUDITOR, roles.INSTRUCTOR])
def test_only_platform_staff_may_verify_or_reject(kz_scenario, role, mailoutbox):
    account = register()
    actor = user_in_role(f"someone_{role}", role) if role else get_user_model().objects.create_user("someone")

    with pytest.raises(NotAllowed) as refused:
        reporter_verify(actor=actor, account=account)
    with pytest.raises(NotAllowed):
        reporter_reject(actor=actor, account=account, reason="No.")

    assert refused.value.message == "Only platform staff can verify or reject reporter accounts."
    account.refresh_from_db()
    assert account.verification == ReporterAccount.Verification.PENDING
    assert not AuditEvent.objects.filter(event_type__in=["reporter_verified", "reporter_rejected"]).exists()


def test_nobody_verifies_their_own_account(kz_scenario, platform_staff):
    account = register()
    account.user.groups.add(*platform_staff.groups.all())

    with pytest.raises(NotAllowed) as refused:
        reporter_verify(actor=account.user, account=account)

    assert refused.value.message == "Nobody can verify or reject their own account."


def test_verifying_twice_is_refused_and_records_nothing_more(kz_scenario, platform_staff):
    account = register()
    reporter_verify(actor=platform_staff, account=account)

    with pytest.raises(IllegalTransition) as refused:
        reporter_verify(actor=platform_staff, account=account)
    with pytest.raises(IllegalTransition):
        reporter_reject(actor=platform_staff, account=account, reason="Changed our mind.")

    assert refused.value.message == "aliya.n is already verified."
    assert AuditEvent.objects.filter(event_type="reporter_verified").count() == 1


def test_a_wrongly_rejected_account_can_be_verified(kz_scenario, platform_staff):
    account = register()
    reporter_reject(actor=platform_staff, account=account, reason="Could not reach the ministry.")

    reporter_verify(actor=platform_staff, account=account)

    account.refresh_from_db()
    assert (account.verification, account.verification_note) == (ReporterAccount.Verification.VERIFIED, "")


def test_verifying_an_account_of_a_proposed_agency_accepts_the_agency(kz_scenario, platform_staff):
    account = register(agency=None, proposal=AgencyProposal("KZ", "Akimat of Almaty", "regulator"))

    reporter_verify(actor=platform_staff, account=account)

    account.agency.refresh_from_db()
    assert account.agency.state == Agency.State.ACTIVE
    event = AuditEvent.objects.get(event_type="agency_accepted")
    assert (event.actor, event.payload["agency"], event.payload["from"]) == (
        platform_staff, "kz-akimat-of-almaty", "proposed")


def test_rejecting_the_only_account_of_a_proposed_agency_rejects_the_agency(kz_scenario, platform_staff):
    account = register(agency=None, proposal=AgencyProposal("KZ", "Akimat of Almaty", "regulator"))

    reporter_reject(actor=platform_staff, account=account, reason="No such body.")

    account.agency.refresh_from_db()
    assert account.agency.state == Agency.State.REJECTED
    assert AuditEvent.objects.filter(event_type="agency_rejected").count() == 1


def test_a_proposed_agency_stays_proposed_while_another_account_still_waits_on_it(kz_scenario, platform_staff):
    first = register(agency=None, proposal=AgencyProposal("KZ", "Akimat of Almaty", "regulator"))
    register(username="berik", agency=None, proposal=AgencyProposal("KZ", "Akimat of Almaty", "regulator"))

    reporter_reject(actor=platform_staff, account=first, reason="Not an official of the akimat.")

    first.agency.refresh_from_db()
    assert first.agency.state == Agency.State.PROPOSED
