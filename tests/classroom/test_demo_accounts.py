"""create_demo_accounts hands out one account per role, stable across runs."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from reports import roles
from reports.models import Agency, ExerciseMembership, ReporterAccount

pytestmark = pytest.mark.django_db


def demo_accounts(capsys) -> list[dict]:
    call_command("create_demo_accounts", "--json")
    return json.loads(capsys.readouterr().out)


def test_every_agency_gets_a_verified_reporter_and_every_role_an_account(kz_scenario, capsys):
    accounts = demo_accounts(capsys)

    reporters = [a for a in accounts if a["role"] == "reporter"]
    assert sorted(a["agency"] for a in reporters) == sorted(Agency.objects.values_list("code", flat=True))
    assert all(a["jurisdiction"] == "KZ" for a in reporters)
    assert {a["role"] for a in accounts} >= {roles.POLICY_REVIEWER, roles.LEGAL_REVIEWER, roles.HUMAN_RIGHTS_REVIEWER,
                                             roles.SENIOR_REVIEWER, roles.AUDITOR, roles.INSTRUCTOR,
                                             roles.ADMINISTRATOR, roles.AFFECTED_USER}
    assert set(accounts[0]) == {"role", "role_label", "username", "password", "start", "api_token", "agency",
                                "jurisdiction", "speaks_for"}
    assert ReporterAccount.objects.filter(verification="verified").count() == len(reporters)


def test_running_it_twice_changes_nothing(kz_scenario, capsys):
    first = demo_accounts(capsys)
    passwords = dict(get_user_model().objects.values_list("username", "password"))

    second = demo_accounts(capsys)

    assert second == first
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords
    assert get_user_model().objects.count() == len(first)


def test_the_printed_passwords_and_tokens_work(kz_scenario, capsys, client):
    accounts = {a["username"]: a for a in demo_accounts(capsys)}
    auditor = accounts["auditor"]
    reporter = accounts["kz-misd-reporter"]

    assert client.login(username=reporter["username"], password=reporter["password"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {reporter['api_token']}")
    assert api.get("/api/v1/requests/").status_code == 200
    assert get_user_model().objects.get(username=auditor["username"]).groups.filter(
        name=roles.GROUP_NAMES[roles.AUDITOR]).exists()


def test_only_the_administrator_is_a_superuser(kz_scenario, capsys):
    demo_accounts(capsys)

    assert list(get_user_model().objects.filter(is_superuser=True).values_list("username", flat=True)) == ["admin"]


def test_the_affected_user_speaks_for_an_often_reported_author_and_starts_at_the_notices(kz_scenario, capsys, client):
    author = next(a for a in demo_accounts(capsys) if a["role"] == roles.AFFECTED_USER)
    membership = ExerciseMembership.objects.select_related("platform_account").get(user__username=author["username"])

    assert author["speaks_for"] == f"@{membership.platform_account.handle}"
    assert membership.platform_account.persona in ("journalist", "opposition_activist", "ngo")
    assert membership.platform_account.posts.count() > 0
    response = client.post("/accounts/login/", {"username": author["username"], "password": author["password"]},
                           follow=True)
    assert response.redirect_chain[-1][0] == author["start"] == "/platform/"
    assert "Notices about your posts" in response.content.decode()
    exercises = client.get("/exercises/")
    assert exercises.status_code == 200 and "Your role: Affected user" in exercises.content.decode()


def test_the_printed_table_names_each_role_in_words_and_where_it_starts(kz_scenario, capsys):
    call_command("create_demo_accounts")
    lines = capsys.readouterr().out.splitlines()

    reporter = next(line for line in lines if "kz-misd-reporter" in line)
    assert reporter.startswith("Government reporter")
    assert "starts at /portal/" in reporter and "(kz-misd, KZ)" in reporter
    assert any(line.startswith("Affected user") and "starts at /platform/" in line and "(@" in line for line in lines)
    assert not any("_" in line.split("  ")[0] for line in lines)


def test_every_account_lands_where_its_line_says_it_starts(kz_scenario, capsys, client):
    for account in demo_accounts(capsys):
        client.logout()
        response = client.post("/accounts/login/", {"username": account["username"],
                                                    "password": account["password"]})

        assert (account["username"], response["Location"]) == (account["username"], account["start"])
