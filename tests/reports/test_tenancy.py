"""The caller's reporter account, read in one statement with what every call needs of it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.forms.models import model_to_dict

from reports.models import ReporterAccount
from reports.tenancy import reporter_account_for
from tests.factories import UserFactory


@pytest.mark.django_db
def test_the_account_comes_with_its_agency_jurisdiction_and_exercise_in_one_query(kz_reporter,
                                                                                   django_assert_num_queries):
    expected = ReporterAccount.objects.select_related("agency__jurisdiction", "exercise").get(pk=kz_reporter.pk)
    user = User.objects.get(pk=kz_reporter.user_id)  # read alone, as a user another way of logging in gives

    with django_assert_num_queries(1):
        account = reporter_account_for(user)
        agency, jurisdiction, exercise = account.agency, account.agency.jurisdiction, account.exercise

    assert account.user is user
    assert model_to_dict(account) == model_to_dict(expected)
    assert model_to_dict(agency) == model_to_dict(expected.agency)
    assert model_to_dict(jurisdiction) == model_to_dict(expected.agency.jurisdiction)
    assert model_to_dict(exercise) == model_to_dict(expected.exercise)
    assert (account.verification, exercise.state) == (expected.verification, expected.exercise.state)
    account.save(update_fields=["verification"])  # an instance like any other: it can be saved


@pytest.mark.django_db
def test_someone_without_a_reporter_account_has_none():
    assert reporter_account_for(UserFactory(username="reviewer-only")) is None
    assert reporter_account_for(None) is None
