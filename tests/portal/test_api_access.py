"""Reporters and auditors get their API token from a page, use it from a script, and can revoke it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from audit.models import AuditEvent
from reports import roles
from tests.factories import user_in_role
from tests.reading import visible_text

pytestmark = pytest.mark.django_db


def new_token(page) -> str:
    html = page.post("/accounts/api/", {"action": "issue"}).content.decode()
    return re.search(r'<code class="token" id="token-key">([0-9a-f]+)</code>', html).group(1)


def test_a_reporter_makes_a_token_and_a_script_reads_the_agencys_requests_with_it(client_for, kz_reporter):
    page = client_for(kz_reporter.user)
    assert "You have no token yet" in visible_text(page.get("/accounts/api/").content.decode())

    key = new_token(page)

    script = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert script.get("/api/v1/requests/").status_code == 200
    assert Client(HTTP_AUTHORIZATION="Token not-a-token").get("/api/v1/requests/").status_code == 401
    # later visits say a token exists, without showing it
    later = page.get("/accounts/api/").content.decode()
    assert key not in later and "You have a token, created on" in visible_text(later)
    event = AuditEvent.objects.get(event_type="api_token_issued")
    assert event.payload == {"replaced": False} and key not in event.canonical.decode()


def test_a_new_token_replaces_the_old_and_a_revoked_one_stops_working(client_for, kz_reporter):
    page = client_for(kz_reporter.user)
    old = new_token(page)

    new = new_token(page)
    assert Client(HTTP_AUTHORIZATION=f"Token {old}").get("/api/v1/requests/").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Token {new}").get("/api/v1/requests/").status_code == 200

    page.post("/accounts/api/", {"action": "revoke"})
    assert Client(HTTP_AUTHORIZATION=f"Token {new}").get("/api/v1/requests/").status_code == 401
    assert list(AuditEvent.objects.filter(event_type__startswith="api_token").values_list("event_type", "payload")) \
        == [("api_token_issued", {"replaced": False}), ("api_token_issued", {"replaced": True}),
            ("api_token_revoked", {})]


def test_an_auditor_is_shown_the_auditors_first_calls(client_for):
    auditor = user_in_role("auditor", roles.AUDITOR)
    page = client_for(auditor)

    key = new_token(page)

    html = page.get("/accounts/api/").content.decode()
    assert "http://testserver/api/v1/audit/requests/" in html and "/api/v1/requests/" not in html.replace(
        "/api/v1/audit/requests/", "")
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/audit/events/").status_code == 200


def test_roles_that_work_in_the_web_pages_are_told_so_and_get_no_token(client_for, policy_reviewer):
    page = client_for(policy_reviewer)

    text = visible_text(page.get("/accounts/api/").content.decode())
    refused = page.post("/accounts/api/", {"action": "issue"})

    assert "The API is for verified government reporters" in text
    assert refused.status_code == 403
    assert not Token.objects.filter(user=policy_reviewer).exists()


def test_the_page_asks_visitors_to_log_in():
    response = Client().get("/accounts/api/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
