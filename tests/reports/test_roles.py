"""Roles and the permission to see personal data."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from reports import roles
from reports.roles import may_see_personal_data
from tests.builders import PERSONAL_DATA_GRANTS, PERSONAL_DATA_HOLDERS, personal_data_granted
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # Django's answer is cached per instance


@pytest.mark.parametrize("grant", PERSONAL_DATA_GRANTS)
def test_the_personal_data_permission_is_answered_as_the_model_backend_answers(grant):
    user = personal_data_granted(UserFactory(username="someone"), grant)

    assert may_see_personal_data(fresh(user)) == fresh(user).has_perm("reports.view_personal_data")
    assert may_see_personal_data(fresh(user)) == (grant in PERSONAL_DATA_HOLDERS)


def test_a_withdrawn_permission_is_refused_at_once():
    user = UserFactory(username="someone")
    permission = Permission.objects.get(content_type__app_label="reports", codename="view_personal_data")
    user.user_permissions.add(permission)
    assert may_see_personal_data(user)

    user.user_permissions.remove(permission)

    assert not may_see_personal_data(user)


@pytest.mark.django_db
def test_roles_are_the_groups_the_database_holds_now_in_one_query(django_assert_num_queries):
    person = UserFactory(username="two-hats")
    person.groups.add(Group.objects.get(name=roles.GROUP_NAMES[roles.AUDITOR]),
                      Group.objects.get(name=roles.GROUP_NAMES[roles.LEGAL_REVIEWER]),
                      Group.objects.create(name="A book club"))  # not a role

    with django_assert_num_queries(1):
        assert roles.group_codes(person) == {roles.AUDITOR, roles.LEGAL_REVIEWER}
    person.groups.remove(Group.objects.get(name=roles.GROUP_NAMES[roles.AUDITOR]))
    assert roles.group_codes(person) == {roles.LEGAL_REVIEWER}
    assert roles.group_codes(UserFactory(username="no-hats")) == set()
