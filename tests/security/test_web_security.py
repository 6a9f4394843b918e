"""Web security: CSRF, the Content Security Policy, framing, production cookies and HSTS,
log-in lockout, and API throttling with one limit for every agency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from config.env import cache_from_env
from reports import lockout, roles
from reports.auth import LOCKED_MESSAGE
from reports.models import RequestMessage, TakedownRequest
from review.services import request_claim
from tests.builders import filed_and_screened
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"


# --- CSRF -----------------------------------------------------------------------------------

def _csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def test_portal_forms_refuse_a_post_without_the_csrf_token(kz_reporter, harmless_content_code):
    client = _csrf_client(kz_reporter.user)

    assert client.post(reverse("portal:draft-new")).status_code == 403
    assert client.post(reverse("portal:platform-report"), {"content": harmless_content_code}).status_code == 403
    assert not TakedownRequest.objects.exists()


def test_log_in_and_registration_refuse_a_post_without_the_csrf_token(kz_scenario):
    client = _csrf_client()

    assert client.post(reverse("portal:login"), {"username": "x", "password": "y"}).status_code == 403
    assert client.post(reverse("portal:register"), {"username": "x"}).status_code == 403
    assert client.post(reverse("admin:login"), {"username": "x", "password": "y"}).status_code == 403


def test_admin_review_actions_refuse_a_post_without_the_csrf_token(kz_reporter, violating_content_code):
    senior = user_in_role("c_senior", roles.SENIOR_REVIEWER)
    request = filed_and_screened(kz_reporter, violating_content_code, court_order=None)
    client = _csrf_client(senior)

    assert client.post(reverse("admin:reports_takedownrequest_claim", args=[request.pk])).status_code == 403
    request_claim(reviewer=senior, request=request)
    response = client.post(reverse("admin:reports_takedownrequest_ask_info", args=[request.pk]),
                           {"message": "Which article exactly?"})
    assert response.status_code == 403
    assert not RequestMessage.objects.filter(request=request).exists()


def test_the_api_needs_the_csrf_token_with_a_session_but_not_with_a_token(kz_reporter, harmless_content_code):
    body = {"items": [{"content_id": harmless_content_code}], "category": "hate_speech",
            "requested_action": "restrict_in_jurisdiction", "justification": "Insult of a public official."}
    with_session = APIClient(enforce_csrf_checks=True)
    with_session.force_login(kz_reporter.user)

    refused = with_session.post("/api/v1/requests/", body, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert not TakedownRequest.objects.exists()

    with_token = APIClient(enforce_csrf_checks=True)
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=kz_reporter.user).key}")
    assert with_token.post("/api/v1/requests/", body, format="json").status_code == 201


# --- Headers: CSP and framing -------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/transparency/", "/accounts/login/", "/admin/login/", "/api/docs/",
                                  "/platform/"])
def test_every_page_carries_a_content_security_policy_and_refuses_framing(kz_scenario, client, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_session_and_csrf_cookies_are_not_readable_by_scripts_where_they_need_not_be(kz_scenario, client):
    user = get_user_model().objects.create_user("cookie_user", password=PASSWORD)

    response = client.post(reverse("portal:login"), {"username": user.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


# --- Production settings --------------------------------------------------------------------

PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
plain = Client().get("/healthz", HTTP_HOST="crs.example.org")
secure = Client().get("/healthz", HTTP_HOST="crs.example.org", secure=True)
print(json.dumps({
    "debug": settings.DEBUG,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "plain_status": plain.status_code, "plain_location": plain.get("Location"),
    "secure_status": secure.status_code, "hsts": secure.get("Strict-Transport-Security"),
}))
"""


def test_production_settings_use_secure_cookies_redirect_to_https_and_send_hsts(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "0",
           "DJANGO_SECRET_KEY": "p" * 30 + "-a-production-secret-" + "q" * 30,
           "DJANGO_ALLOWED_HOSTS": "crs.example.org", "CRS_DATA_DIR": str(tmp_path)}

    result = subprocess.run([sys.executable, "-c", PRODUCTION_PROBE], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["debug"] is False
    assert seen["session_cookie_secure"] and seen["csrf_cookie_secure"]
    assert seen["plain_status"] == 301 and seen["plain_location"] == "https://crs.example.org/healthz"
    assert seen["secure_status"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"


# --- Log-in throttling and lockout ----------------------------------------------------------

def _fail(client, url, username, times):
    for _ in range(times):
        client.post(url, {"username": username, "password": "wrong-password"})


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_five_failed_log_ins_lock_the_account_even_against_the_right_password(kz_scenario, client, url):
    user = get_user_model().objects.create_user("locked_user", password=PASSWORD, is_staff=True)
    other = get_user_model().objects.create_user("other_user", password=PASSWORD, is_staff=True)

    _fail(client, url, user.username, settings.LOGIN_FAILURES_PER_USERNAME - 1)
    assert client.post(url, {"username": user.username, "password": PASSWORD}).status_code == 302
    client.logout()
    _fail(client, url, user.username, settings.LOGIN_FAILURES_PER_USERNAME)
    refused = client.post(url, {"username": user.username, "password": PASSWORD})

    assert refused.status_code == 200
    assert LOCKED_MESSAGE in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account is not locked by someone else's failures.
    assert Client().post(url, {"username": other.username, "password": PASSWORD}).status_code == 302


def test_a_successful_log_in_resets_the_count(kz_scenario, client):
    user = get_user_model().objects.create_user("forgetful", password=PASSWORD)

    _fail(client, "/accounts/login/", user.username, settings.LOGIN_FAILURES_PER_USERNAME - 1)
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    client.logout()
    _fail(client, "/accounts/login/", user.username, settings.LOGIN_FAILURES_PER_USERNAME - 1)

    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302


def test_one_address_trying_many_usernames_is_locked_out(kz_scenario, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 20
    victim = get_user_model().objects.create_user("victim", password=PASSWORD)
    attacker = Client(REMOTE_ADDR="203.0.113.9")

    for n in range(settings.LOGIN_FAILURES_PER_ADDRESS):
        attacker.post("/accounts/login/", {"username": f"guess{n}", "password": "wrong-password"})

    assert attacker.post("/accounts/login/", {"username": victim.username, "password": PASSWORD}).status_code == 200
    assert Client(REMOTE_ADDR="198.51.100.7").post(
        "/accounts/login/", {"username": victim.username, "password": PASSWORD}).status_code == 302


def test_a_class_behind_one_address_is_not_locked_out_by_its_students_typos(kz_scenario):
    student = get_user_model().objects.create_user("late_student", password=PASSWORD)
    classroom = Client(REMOTE_ADDR="203.0.113.50")

    for n in range(30):  # thirty students, each mistyping once
        classroom.post("/accounts/login/", {"username": f"student{n}", "password": "wrong-password"})

    assert classroom.post("/accounts/login/", {"username": student.username, "password": PASSWORD}).status_code == 302


def test_the_lock_ends_after_its_window(kz_scenario, client):
    from django.core.cache import cache

    user = get_user_model().objects.create_user("patient", password=PASSWORD)
    _fail(client, "/accounts/login/", user.username, settings.LOGIN_FAILURES_PER_USERNAME)
    assert lockout.is_locked(user.username, "127.0.0.1")

    cache.delete(lockout._key("user", user.username))  # what the cache's expiry does after 15 minutes

    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302


# --- API throttling -------------------------------------------------------------------------

@pytest.fixture(params=["memory", "redis"])
def throttle_cache(request, settings):
    """The tests' in-process cache, and the shared Redis cache as deployed (its counter is one round trip)."""
    if request.param == "redis":
        url = os.environ.get("REDIS_URL", "")
        if not url.startswith("redis"):
            pytest.skip("needs REDIS_URL")
        settings.CACHES = {"default": {**cache_from_env(url.rsplit("/", 1)[0] + "/0"),
                                       "KEY_PREFIX": f"throttle-test-{os.getpid()}-{uuid.uuid4().hex}"}}
    return request.param


def test_the_api_throttles_each_token_with_the_same_limit_for_every_agency(kz_reporter, de_reporter, monkeypatch,
                                                                          throttle_cache):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    answers = {}
    for account in (kz_reporter, de_reporter):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=account.user).key}")
        answers[account.agency.jurisdiction_id] = [client.get("/api/v1/requests/") for _ in range(4)]

    statuses = {code: [r.status_code for r in responses] for code, responses in answers.items()}
    assert list(statuses.values()) == [[200, 200, 200, 429], [200, 200, 200, 429]]
    refused = next(iter(answers.values()))[-1]
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0


def test_an_auditor_token_is_throttled_like_a_reporters(kz_scenario, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    auditor = user_in_role("t_auditor", roles.AUDITOR)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=auditor).key}")

    assert [client.get("/api/v1/audit/events/").status_code for _ in range(3)] == [200, 200, 429]


def test_behind_the_proxy_the_forwarded_address_is_counted_not_the_proxys(kz_scenario, settings):
    settings.BEHIND_PROXY, settings.LOGIN_FAILURES_PER_ADDRESS = True, 3
    victim = get_user_model().objects.create_user("classmate", password=PASSWORD)

    def via_proxy(client_address: str, username: str, password: str):
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.51.100.1, {client_address}").post(
            "/accounts/login/", {"username": username, "password": password})

    for n in range(3):
        via_proxy("203.0.113.9", f"guess{n}", "wrong-password")

    assert via_proxy("203.0.113.9", victim.username, PASSWORD).status_code == 200
    assert via_proxy("192.0.2.44", victim.username, PASSWORD).status_code == 302
