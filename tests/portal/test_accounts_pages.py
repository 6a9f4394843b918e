"""The landing page, registration, log in and out, and password reset, as a visitor uses them."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from reports.models import Agency, ReporterAccount

pytestmark = pytest.mark.django_db

PASSWORD = "Steppe-Wind-2021-quiet"


def registration(**overrides) -> dict:
    return {"username": "aliya.n", "password1": PASSWORD, "password2": PASSWORD,
            "official_title": "Chief specialist", "work_email": "a.nurlanova@misd.gov.example", "agency": "kz-misd",
            "new_agency_jurisdiction": "", "new_agency_name": "", "new_agency_authority_type": "", **overrides}


def test_the_landing_page_states_the_access_policy_and_links_onwards(client, kz_scenario):
    response = client.get("/")

    html = response.content.decode()
    assert "Access policy: one channel, one process, for every government" in html
    assert "No exclusive, priority or trusted access." in html
    for link in ('href="/accounts/register/"', 'href="/accounts/login/"', 'href="/transparency/"',
                 'href="/api/docs/"', 'href="/platform/"'):
        assert link in html


def test_the_registration_form_lists_active_agencies_by_jurisdiction(client, kz_scenario):
    Agency.objects.create(code="kz-proposed", jurisdiction_id="KZ", name="Not yet accepted", authority_type="police",
                          state=Agency.State.PROPOSED)

    response = client.get(reverse("portal:register"))

    html = response.content.decode()
    assert '<optgroup label="Kazakhstan">' in html
    assert '<option value="kz-misd">Ministry of Information and Social Development</option>' in html
    assert "Not yet accepted" not in html
    assert '<option value="__new__">My agency is not listed: I propose it below</option>' in html


def test_registering_logs_the_person_in_and_shows_that_the_account_waits_for_verification(client, kz_scenario):
    response = client.post(reverse("portal:register"), registration(), follow=True)

    account = ReporterAccount.objects.get(user__username="aliya.n")
    assert account.verification == ReporterAccount.Verification.PENDING
    assert response.redirect_chain == [(reverse("portal:dashboard"), 302)]
    html = " ".join(response.content.decode().split())
    assert "Your registration is received." in html
    assert "Waiting for verification" in html
    assert "<strong>a.nurlanova@misd.gov.example</strong>" in html
    assert AuditEvent.objects.filter(event_type="reporter_registered").count() == 1


def test_registration_problems_are_shown_next_to_their_fields_and_typed_values_stay(client, kz_scenario):
    get_user_model().objects.create_user(username="aliya.n", password=PASSWORD)

    response = client.post(reverse("portal:register"), registration(password2="something else", agency="__new__",
                                                                    new_agency_name="Akimat of Almaty"))

    assert response.status_code == 400
    html = response.content.decode()
    assert ('<ul class="errors" id="id_password2_error"><li>The two passwords differ; type the same password '
            "twice.</li></ul>") in html
    assert 'value="Chief specialist"' in html and 'value="a.nurlanova@misd.gov.example"' in html
    assert 'value="Akimat of Almaty"' in html
    assert PASSWORD not in html
    assert ReporterAccount.objects.count() == 0


def test_service_problems_are_mapped_to_the_registration_fields(client, kz_scenario):
    get_user_model().objects.create_user(username="aliya.n", password=PASSWORD)

    response = client.post(reverse("portal:register"), registration(agency="__new__", new_agency_name=""))

    html = response.content.decode()
    assert '<ul class="errors" id="id_username_error"><li>This username is taken; choose another.</li></ul>' in html
    assert ('<ul class="errors" id="id_new_agency_jurisdiction_error"><li>Choose the jurisdiction the agency '
            "belongs to.</li></ul>") in html
    assert ('<ul class="errors" id="id_new_agency_name_error"><li>Give the agency&#x27;s official name.</li></ul>'
            in html)
    assert 'aria-describedby="id_username_error id_username_helptext"' in html


def test_registering_with_a_proposed_agency(client, kz_scenario):
    response = client.post(reverse("portal:register"), registration(
        agency="__new__", new_agency_jurisdiction="KZ", new_agency_name="Akimat of Almaty",
        new_agency_authority_type="regulator"), follow=True)

    account = ReporterAccount.objects.get(user__username="aliya.n")
    assert (account.agency.name, account.agency.state) == ("Akimat of Almaty", Agency.State.PROPOSED)
    assert b"(which you proposed as a new agency)" in response.content


def test_log_in_and_out(client, kz_reporter):
    kz_reporter.user.set_password(PASSWORD)
    kz_reporter.user.save()

    logged_in = client.post(reverse("portal:login"), {"username": "kz_reporter", "password": PASSWORD})
    logged_out = client.post(reverse("portal:logout"))

    assert logged_in["Location"] == reverse("portal:dashboard")
    assert logged_out["Location"] == "/"
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, kz_reporter):
    response = client.post(reverse("portal:login"), {"username": "kz_reporter", "password": "wrong"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password." in response.content


def test_password_reset_by_email(client, kz_reporter, mailoutbox):
    # given: the reporter asks for a reset link at their work address
    sent = client.post(reverse("portal:password-reset"), {"email": kz_reporter.user.email})
    assert sent["Location"] == reverse("portal:password-reset-done")
    assert [m.subject for m in mailoutbox] == ["Choose a new password for the Content Reporting System"]

    # when: they open the link and choose a new password
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})

    # then: the new password works
    kz_reporter.user.refresh_from_db()
    assert kz_reporter.user.check_password(PASSWORD)


def test_a_logged_in_person_is_not_offered_registration(client, kz_reporter):
    client.force_login(kz_reporter.user)

    response = client.get(reverse("portal:register"))

    assert response["Location"] == reverse("portal:dashboard")
