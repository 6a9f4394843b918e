"""Running an exercise: created from a scenario, joined by code, roles assigned, opened and closed, audited."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from classroom.scenarios import parse_scenario, resolve_scenario_path
from classroom.services import exercise_close, exercise_create, exercise_join, exercise_open, membership_assign
from reports import roles
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.models import ContentItem, Exercise, ExerciseMembership, ExerciseRole, PlatformAccount, ReporterAccount
from reports.tenancy import exercise_default, exercise_for_user
from review.services import request_claim
from tests.exercises import enrol, new_exercise, student_files
from tests.factories import UserFactory, user_in_role

pytestmark = pytest.mark.django_db


def test_an_exercise_gets_its_own_copy_of_the_scenario_and_a_join_code(instructor):
    scenario = parse_scenario(resolve_scenario_path("kazakhstan-2021"))

    exercise = exercise_create(instructor=instructor, name="  Seminar 3, group B ", scenario="kazakhstan-2021")

    assert (exercise.name, exercise.state, exercise.scenario, exercise.created_by) == (
        "Seminar 3, group B", "draft", "kazakhstan-2021", instructor)
    assert len(exercise.join_code) == 8 and exercise.join_code.isalnum() and exercise.join_code.isupper()
    assert exercise.brief.startswith("On 1 November 2021")
    assert PlatformAccount.objects.filter(exercise=exercise).count() == len(scenario["accounts"])
    assert ContentItem.objects.filter(exercise=exercise).count() == len(scenario["content"])
    assert not ContentItem.objects.filter(exercise=exercise_default()).exists()
    event = AuditEvent.objects.get(event_type="exercise_created")
    assert (event.exercise, event.actor, event.actor_role) == (exercise, instructor, "instructor")


def test_an_exercise_needs_a_name_and_a_known_scenario_and_nothing_is_written_otherwise(instructor):
    with pytest.raises(InvalidInput) as refused:
        exercise_create(instructor=instructor, name=" ", scenario="atlantis")

    assert refused.value.fields == {
        "name": ["Give the exercise a name your students will recognise, e.g. “Seminar 3, group B”."],
        "scenario": ["Choose one of the scenarios: comparative, kazakhstan-2021."]}
    assert not Exercise.objects.filter(is_default=False).exists()
    assert not AuditEvent.objects.exists()


def test_only_instructors_create_and_only_the_creator_runs_an_exercise(instructor):
    student = UserFactory(username="student")
    with pytest.raises(NotAllowed, match="Only instructors create exercises."):
        exercise_create(instructor=student, name="Mine", scenario="kazakhstan-2021")
    exercise = new_exercise(instructor, "Seminar", open_it=False)
    colleague = user_in_role("colleague", roles.INSTRUCTOR, staff=False)

    with pytest.raises(NotAllowed, match="Only the instructor who created this exercise can run it."):
        exercise_open(instructor=colleague, exercise=exercise)
    assert Exercise.objects.get(pk=exercise.pk).state == "draft"


def test_students_join_by_code_once_and_only_one_exercise(instructor):
    first, second = new_exercise(instructor, "First"), new_exercise(instructor, "Second")
    student = UserFactory(username="student")

    membership = exercise_join(user=student, join_code=f" {first.join_code.lower()} ")
    assert (membership.exercise, membership.role) == (first, "unassigned")
    assert exercise_join(user=student, join_code=first.join_code) == membership  # joining again changes nothing
    assert exercise_for_user(student) == first

    with pytest.raises(InvalidInput) as refused:
        exercise_join(user=student, join_code=second.join_code)
    assert refused.value.fields == {"join_code": ["You are already in the exercise 'First'; use another account "
                                                  "for another exercise."]}
    with pytest.raises(InvalidInput) as refused:
        exercise_join(user=UserFactory(username="other"), join_code="NOPE1234")
    assert refused.value.fields == {"join_code": ["No exercise has this join code; check it with your instructor."]}
    assert ExerciseMembership.objects.count() == 1
    assert AuditEvent.objects.filter(event_type="exercise_joined").count() == 1


def test_each_role_gives_the_student_what_it_needs(instructor):
    exercise = new_exercise(instructor, "Seminar")
    account = PlatformAccount.objects.filter(exercise=exercise).order_by("handle").first()

    reporter = enrol(exercise, instructor, "aliya", ExerciseRole.REPORTER, agency="kz-misd")
    reviewer = enrol(exercise, instructor, "bolat", ExerciseRole.HUMAN_RIGHTS_REVIEWER)
    auditor = enrol(exercise, instructor, "chen", ExerciseRole.AUDITOR)
    author = enrol(exercise, instructor, "dana", ExerciseRole.AFFECTED_USER, account=account)

    reporter_account = ReporterAccount.objects.get(user=reporter)
    assert (reporter_account.exercise, reporter_account.agency.code, reporter_account.verification,
            reporter_account.verified_by) == (exercise, "kz-misd", "verified", instructor)
    assert (roles.reviewer_tiers(reviewer), reviewer.is_staff) == ([roles.HUMAN_RIGHTS_REVIEWER], True)
    assert (roles.has_role(auditor, roles.AUDITOR), auditor.is_staff) == (True, True)
    assert (author.exercise_membership.platform_account, author.is_staff) == (account, False)
    assert {exercise_for_user(user) for user in (reporter, reviewer, auditor, author)} == {exercise}
    assert AuditEvent.objects.filter(event_type="exercise_role_assigned").count() == 4

    # a new role replaces the old one
    membership_assign(instructor=instructor, membership=reviewer.exercise_membership, role=ExerciseRole.AUDITOR)
    assert (roles.reviewer_tiers(reviewer), roles.has_role(reviewer, roles.AUDITOR)) == ([], True)


def test_a_role_with_missing_or_taken_details_is_refused(instructor):
    exercise = new_exercise(instructor, "Seminar")
    account = PlatformAccount.objects.filter(exercise=exercise).order_by("handle").first()
    enrol(exercise, instructor, "dana", ExerciseRole.AFFECTED_USER, account=account)
    membership = exercise_join(user=UserFactory(username="erlan"), join_code=exercise.join_code)

    cases = [
        ({"role": "dictator"}, {"role": ["Choose a role."]}),
        ({"role": "reporter", "agency_code": "de-bka"},
         {"agency": ["Choose the agency this reporter acts for (one of the scenario's agencies)."]}),
        ({"role": "affected_user", "platform_account_id": account.pk},
         {"platform_account": [f"@{account.handle} is already another student's account."]}),
    ]
    for arguments, fields in cases:
        with pytest.raises(InvalidInput) as refused:
            membership_assign(instructor=instructor, membership=membership, **arguments)
        assert refused.value.fields == fields
    membership.refresh_from_db()
    assert membership.role == "unassigned"
    assert not ReporterAccount.objects.exists()


def test_a_reporter_who_has_filed_keeps_the_role(instructor):
    exercise = new_exercise(instructor, "Seminar")
    reporter = enrol(exercise, instructor, "aliya", ExerciseRole.REPORTER, agency="kz-misd")
    student_files(reporter, [ContentItem.objects.filter(exercise=exercise).order_by("code").first().code])

    with pytest.raises(NotAllowed, match="aliya has filed for Ministry of Information and Social Development"):
        membership_assign(instructor=instructor, membership=reporter.exercise_membership,
                          role=ExerciseRole.LEGAL_REVIEWER)
    assert ReporterAccount.objects.get(user=reporter).agency.code == "kz-misd"


def test_work_happens_only_while_the_exercise_is_open(instructor):
    exercise = new_exercise(instructor, "Seminar", open_it=False)
    reporter = enrol(exercise, instructor, "aliya", ExerciseRole.REPORTER, agency="kz-misd")
    reviewer = enrol(exercise, instructor, "bolat", ExerciseRole.SENIOR_REVIEWER)
    code = ContentItem.objects.filter(exercise=exercise).order_by("code").first().code

    with pytest.raises(NotAllowed, match="The exercise 'Seminar' is not open yet"):
        student_files(reporter, [code])

    exercise_open(instructor=instructor, exercise=exercise)
    request = student_files(reporter, [code])
    with pytest.raises(IllegalTransition, match="The exercise is open; it cannot be opened now."):
        exercise_open(instructor=instructor, exercise=exercise)
    exercise_close(instructor=instructor, exercise=exercise)

    with pytest.raises(NotAllowed, match="The exercise 'Seminar' is closed"):
        request_claim(reviewer=reviewer, request=request)
    with pytest.raises(NotAllowed, match="is closed"):
        student_files(reporter, [code])
    with pytest.raises(InvalidInput, match="closed"):
        exercise_join(user=UserFactory(username="late"), join_code=exercise.join_code)
    exercise.refresh_from_db()
    assert exercise.opened_at < exercise.closed_at
    assert list(AuditEvent.objects.filter(event_type__in=["exercise_opened", "exercise_closed"])
                .values_list("event_type", flat=True)) == ["exercise_opened", "exercise_closed"]
