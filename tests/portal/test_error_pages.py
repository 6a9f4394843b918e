"""With debug off, every error is a page of the site's own, in words, with a way back; never Django's debug pages."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from portal.views.errors import server_error
from tests.builders import filed

pytestmark = pytest.mark.django_db

DEBUG_TRACES = ("Traceback", "URLconf", "Django tried these URL patterns", "Request Method:", "technical")


def looks_friendly(html: str) -> None:
    assert not any(trace in html for trace in DEBUG_TRACES)
    assert 'class="error-page"' in html and "Go to" in html


def test_another_agencys_request_is_a_plain_not_found_page(client_for, kz_reporter, kz_prosecutor,
                                                           harmless_content_code):
    theirs = filed(kz_prosecutor, harmless_content_code)

    response = client_for(kz_reporter.user).get(reverse("portal:request-detail", args=[theirs.reference]))

    assert response.status_code == 404
    html = response.content.decode()
    looks_friendly(html)
    assert "There is no such page" in html
    assert f'href="{reverse("portal:dashboard")}"' in html, "a reporter is sent back to their own requests"


def test_opening_a_forms_address_explains_it_instead_of_a_blank_page(client_for, kz_reporter):
    response = client_for(kz_reporter.user).get(reverse("portal:draft-new"))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    html = response.content.decode()
    looks_friendly(html)
    assert "This address only takes a form" in html


def test_an_unknown_address_for_a_visitor_offers_the_home_page_and_log_in():
    response = Client().get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    looks_friendly(html)
    assert "Log in" in html and "Go to the home page" in html


def test_an_unknown_api_address_answers_in_the_apis_error_format():
    response = Client().get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "There is no such page.", "fields": {}}


def test_a_crash_is_a_page_that_says_nothing_was_half_saved():
    response = server_error(RequestFactory().get("/portal/"))

    assert response.status_code == 500
    html = response.content.decode()
    looks_friendly(html)
    assert "Nothing you sent was half-saved" in html


def test_an_expired_form_says_so_and_how_to_go_on(kz_reporter):
    client = Client(enforce_csrf_checks=True)
    client.force_login(kz_reporter.user)

    response = client.post(reverse("portal:draft-new"))

    assert response.status_code == 403
    assert "The form had expired" in response.content.decode()
