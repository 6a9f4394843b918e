"""API tokens: the caller and their token in one query, and DRF's answers for a bad token or an inactive user."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from reports.auth import TokenAuthentication
from reports.models import ReporterAccount


@pytest.mark.django_db
def test_a_token_names_its_user_in_one_query(django_assert_num_queries):
    user = User.objects.create_user("auditor-one", password="x" * 12)
    token = Token.objects.create(user=user)

    with django_assert_num_queries(1):
        found_user, found_token = TokenAuthentication().authenticate_credentials(token.key)
        assert found_token.user is found_user

    assert (found_user.pk, found_user.username, found_user.is_active) == (user.pk, "auditor-one", True)
    assert (found_token.key, found_token.created) == (token.key, token.created)


@pytest.mark.django_db
@pytest.mark.parametrize("key, message", [("0" * 40, "Invalid token."), ("bad\x00key", "Invalid token."),
                                          ("inactive", "User inactive or deleted.")])
def test_the_api_refuses_a_bad_token_as_drf_does(key, message):
    if key == "inactive":
        key = Token.objects.create(user=User.objects.create_user("gone", is_active=False)).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get("/api/v1/requests/")

    assert response.status_code == 401
    assert message in str(response.json())


@pytest.mark.django_db
def test_the_sessions_user_is_read_in_one_query_and_an_inactive_one_is_no_one(django_assert_num_queries):
    from reports.auth import LockoutBackend

    user = User.objects.create_user("reviewer-two", password="x" * 12)
    inactive = User.objects.create_user("left", is_active=False)

    with django_assert_num_queries(1):
        found = LockoutBackend().get_user(str(user.pk))  # sessions keep the id as text

    assert (found.pk, found.username, found.password) == (user.pk, user.username, user.password)
    assert LockoutBackend().get_user(str(inactive.pk)) is None
    assert LockoutBackend().get_user("999999") is None


@pytest.mark.django_db
def test_the_callers_reporter_account_comes_with_them_in_the_same_query(kz_reporter, auditor,
                                                                       django_assert_max_num_queries):
    from django.db import connection
    from django.forms.models import model_to_dict

    from reports.auth import LockoutBackend
    from reports.tenancy import reporter_account_for

    expected = ReporterAccount.objects.select_related("agency__jurisdiction", "exercise").get(pk=kz_reporter.pk)
    by_token, _token = TokenAuthentication().authenticate_credentials(Token.objects.create(user=kz_reporter.user).key)
    by_session = LockoutBackend().get_user(str(kz_reporter.user.pk))
    staff, _token = TokenAuthentication().authenticate_credentials(Token.objects.create(user=auditor).key)
    # On PostgreSQL the account was read with the user; elsewhere asking is one query.
    asking = 0 if connection.vendor == "postgresql" else 1

    for user in (by_token, by_session):
        with django_assert_max_num_queries(asking):
            account = reporter_account_for(user)
            agency, jurisdiction, exercise = account.agency, account.agency.jurisdiction, account.exercise
        assert account.user is user
        assert [model_to_dict(m) for m in (account, agency, jurisdiction, exercise)] == [model_to_dict(m) for m in (
            expected, expected.agency, expected.agency.jurisdiction, expected.exercise)]
    with django_assert_max_num_queries(asking):
        assert reporter_account_for(staff) is None


@pytest.mark.django_db
def test_postgresql_prepares_the_token_lookup_once_it_is_seen_again():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    token = Token.objects.create(user=User.objects.create_user("auditor-two", password="x" * 12))

    for _ in range(6):  # psycopg prepares a statement on its fifth use (CRS_DB_PREPARE_THRESHOLD)
        TokenAuthentication().authenticate_credentials(token.key)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%authtoken_token%"])
        assert cursor.fetchone()[0] == 1
