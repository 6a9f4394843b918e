"""A class at work: an instructor's exercise, students in each role, requests filed, decided and appealed.

Everything goes through the real services (exercise_create loads the scenario into the
exercise; students join by code and are given roles), so the data is what a class makes.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from classroom.services import exercise_create, exercise_join, exercise_open, membership_assign
from filing.inputs import CourtOrderInput, ItemInput, RequestInput
from filing.services import request_file
from reports import roles
from reports.models import ContentItem, ExerciseRole, PlatformAccount, ReporterAccount, TakedownRequest
from review.services import item_decide, request_claim, request_screen
from tests.factories import UserFactory, user_in_role

PASSWORD = "correct horse battery staple"
JUSTIFICATION = "The post is unlawful under the cited article, as the district court found."


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


def file_and_screen(user, codes: list[str], **fields) -> TakedownRequest:
    """File as the student reporter would, then run the screening the Celery task runs."""
    reporter = ReporterAccount.objects.select_related("agency", "exercise").get(user=user)
    provision = {"KZ": "KZ-CC-174", "DE": "DE-STGB-86A"}[reporter.agency.jurisdiction_id]
    data = RequestInput(**{"items": [ItemInput(content_id=code) for code in codes], "category": "hate_speech",
                           "legal_basis": [provision], "requested_action": "restrict_in_jurisdiction",
                           "justification": JUSTIFICATION,
                           "court_order": CourtOrderInput("District court", "2-123/2021", None), **fields})
    request, created = request_file(reporter=reporter, data=data)
    assert created
    request_screen(request_id=request.pk)
    return TakedownRequest.objects.get(pk=request.pk)


def decide_all(reviewer, request: TakedownRequest, action: str = "restrict_in_jurisdiction",
               reason: str = "unlawful_locally") -> TakedownRequest:
    request_claim(reviewer=reviewer, request=request)
    for item in request.items.all():
        item_decide(reviewer=reviewer, item=item, action=action, reason_code=reason,
                    rationale="Unlawful under the cited article; the restriction is limited to the country.")
    return TakedownRequest.objects.get(pk=request.pk)


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
    request = decide_all(classroom.senior, file_and_screen(classroom.reporter, [classroom.post.code]))
    assert request.status == "decided"
    classroom.request = request
    classroom.item = request.items.get()
    return classroom
