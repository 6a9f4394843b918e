"""After logging in, each role lands where it works, unless the log-in was asked for by a page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from reports import roles
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db
PASSWORD = "a-password-for-logging-in"


def _log_in(client, user, **query):
    user.set_password(PASSWORD)
    user.save()
    url = "/accounts/login/" + (f"?next={query['next']}" if query else "")
    return client.post(url, {"username": user.username, "password": PASSWORD})


def test_each_role_lands_where_it_works(client, classroom, kz_reporter):
    people = {
        kz_reporter.user: "/portal/",
        classroom.reporter: "/portal/",
        classroom.author: "/platform/",
        classroom.instructor: "/exercises/",
        classroom.senior: "/admin/",
        user_in_role("l_auditor", roles.AUDITOR): "/accounts/api/",
        get_user_model().objects.create_user("l_nobody"): "/",
    }
    landed = {}
    for user, _ in people.items():
        client.logout()
        landed[user] = _log_in(client, user)["Location"]

    assert landed == people


def test_a_page_that_asked_for_the_log_in_comes_first(client, classroom):
    response = _log_in(client, classroom.instructor, next="/transparency/")

    assert response["Location"] == "/transparency/"
