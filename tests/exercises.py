"""A class at work: an instructor's exercise, students in each role, requests filed, decided and appealed.

Everything goes through the real services (exercise_create loads the scenario into the
exercise; students join by code and are given roles), so the data is what a class makes.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from classroom.services import exercise_create, exercise_join, exercise_open, membership_assign
from reports import roles
from reports.models import ContentItem, ExerciseRole, PlatformAccount, ReporterAccount, TakedownRequest
from tests.builders import decided, filed_and_screened
from tests.factories import UserFactory, user_in_role

PASSWORD = "correct horse battery staple"


@pytest.fixture
def instructor(db):
    return user_in_role("instructor", roles.INSTRUCTOR, staff=False)


def new_exercise(instructor, name: str, scenario: str = "kazakhstan-2021", *, open_it: bool = True):
    exercise = exercise_create(instructor=instructor, name=name, scenario=scenario)
    return exercise_open(instructor=instructor, exercise=exercise) if open_it else exercise


def enrol(exercise, instructor, username: str, role: str, *, agency: str = "", account: PlatformAccount | None = None):
    """A student who joins by the code and is given ``role`` by the instructor; returns the user."""
    user = UserFactory(username=username)
    membership = exercise_join(user=user, join_code=exercise.join_code)
    membership_assign(instructor=instructor, membership=membership, role=role, agency_code=agency,
                      platform_account_id=account.pk if account else None)
    user.refresh_from_db()
    return user


def student_files(user, codes: list[str], **fields) -> TakedownRequest:
    """The student reporter files on ``codes`` (citing their own jurisdiction's law), then screening runs."""
    reporter = ReporterAccount.objects.select_related("agency", "exercise").get(user=user)
    provision = {"KZ": "KZ-CC-174", "DE": "DE-STGB-86A"}[reporter.agency.jurisdiction_id]
    return filed_and_screened(reporter, *codes, **{"legal_basis": [provision], **fields})


def post_by_ordinary_user(exercise, country: str = "KZ") -> ContentItem:
    return (ContentItem.objects.filter(exercise=exercise, country=country, author__persona="ordinary_user")
            .select_related("author").order_by("code").first())


@pytest.fixture
def classroom(instructor):
    """An open kazakhstan-2021 exercise: a reporter, two reviewers and the author of a post the reporter files on."""
    exercise = new_exercise(instructor, "Seminar 3")
    post = post_by_ordinary_user(exercise)
    reporter = enrol(exercise, instructor, "aliya", ExerciseRole.REPORTER, agency="kz-misd")
    senior = enrol(exercise, instructor, "bolat", ExerciseRole.SENIOR_REVIEWER)
    legal = enrol(exercise, instructor, "chen", ExerciseRole.LEGAL_REVIEWER)
    author = enrol(exercise, instructor, "dana", ExerciseRole.AFFECTED_USER, account=post.author)
    return SimpleNamespace(exercise=exercise, post=post, reporter=reporter, senior=senior, legal=legal,
                           author=author, instructor=instructor)


@pytest.fixture
def restricted(classroom):
    """The author's post, restricted in Kazakhstan by the senior reviewer's decision."""
    request = decided(classroom.senior, student_files(classroom.reporter, [classroom.post.code]))
    assert request.status == "decided"
    classroom.request = request
    classroom.item = request.items.get()
    return classroom
