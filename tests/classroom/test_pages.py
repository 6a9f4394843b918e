"""The classroom pages: an instructor creates and runs an exercise, students join, the debrief is read."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from classroom.services import exercise_close
from reports.models import Exercise, ExerciseMembership, ExerciseRole, ReporterAccount
from review.services import appeal_decide, appeal_file
from tests.builders import decided
from tests.exercises import PASSWORD, enrol, new_exercise, student_files
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_instructor_creates_an_exercise_from_a_scenario(client_for, instructor):
    page = client_for(instructor)

    response = page.post("/exercises/new/", {"name": "Seminar 3", "scenario": "kazakhstan-2021", "brief": ""})

    exercise = Exercise.objects.get(is_default=False)
    assert response.status_code == 302 and response["Location"] == f"/exercises/{exercise.slug}/"
    run = page.get(response["Location"]).content.decode()
    assert f'<p class="join-code" id="join-code">{exercise.join_code}</p>' in run
    assert "Open the exercise" in run
    assert f"Give your students the join code {exercise.join_code}" in run


def test_a_bad_exercise_form_names_each_problem_and_creates_nothing(client_for, instructor):
    response = client_for(instructor).post("/exercises/new/", {"name": "", "scenario": ""})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the exercise a name your students will recognise" in html
    assert "Choose one of the scenarios: comparative, kazakhstan-2021." in html
    assert not Exercise.objects.filter(is_default=False).exists()


def test_students_cannot_create_exercises(client_for, db):
    response = client_for(UserFactory(username="student")).get("/exercises/new/")

    assert response.status_code == 403
    assert "Only instructors create exercises." in response.content.decode()


def test_a_new_student_joins_with_the_code_and_waits_for_a_role(instructor):
    exercise = new_exercise(instructor, "Seminar 3")
    browser = Client()

    refused = browser.post("/exercises/join/", {"join_code": "WRONG123", "username": "aliya", "password": "short"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "No exercise has this join code; check it with your instructor." in html
    assert "This password is too short. It must contain at least 10 characters." in html
    assert not ExerciseMembership.objects.exists()

    joined = browser.post("/exercises/join/", {"join_code": exercise.join_code, "username": "aliya",
                                               "password": PASSWORD}, follow=True)
    assert joined.status_code == 200
    assert "Your role: Not yet assigned" in joined.content.decode()
    assert ExerciseMembership.objects.get().user.username == "aliya"


def test_the_instructor_assigns_roles_and_a_bad_choice_is_explained(client_for, instructor):
    exercise = new_exercise(instructor, "Seminar 3")
    student = UserFactory(username="aliya")
    client_for(student).post("/exercises/join/", {"join_code": exercise.join_code})
    membership = ExerciseMembership.objects.get(user=student)
    page = client_for(instructor)
    url = f"/exercises/{exercise.slug}/members/{membership.pk}/role/"
    prefix = f"m{membership.pk}"

    refused = page.post(url, {f"{prefix}-role": "reporter", f"{prefix}-agency": ""})
    assert refused.status_code == 400
    assert "Choose the agency this reporter acts for (one of the scenario&#x27;s agencies)." in refused.content.decode()
    assert not ReporterAccount.objects.exists()

    done = page.post(url, {f"{prefix}-role": "reporter", f"{prefix}-agency": "kz-misd"})
    assert done.status_code == 302
    assert ReporterAccount.objects.get(user=student).agency.code == "kz-misd"
    student_page = client_for(student).get(f"/exercises/{exercise.slug}/").content.decode()
    assert "You file for <strong>Ministry of Information and Social Development</strong>" in student_page


def test_people_outside_an_exercise_do_not_find_it(client_for, instructor):
    exercise = new_exercise(instructor, "Seminar 3")
    outsider = client_for(UserFactory(username="outsider"))

    assert outsider.get(f"/exercises/{exercise.slug}/").status_code == 404
    assert outsider.post(f"/exercises/{exercise.slug}/close/").status_code == 404
    assert outsider.get(f"/exercises/{exercise.slug}/debrief/").status_code == 404
    assert Exercise.objects.get(pk=exercise.pk).state == "open"


def test_the_debrief_is_written_when_the_exercise_closes(client_for, instructor):
    # given: a request decided against the findings and an appeal reversed, in an open exercise
    exercise = new_exercise(instructor, "Seminar 3")
    reporter = enrol(exercise, instructor, "aliya", ExerciseRole.REPORTER, agency="kz-misd")
    senior = enrol(exercise, instructor, "bolat", ExerciseRole.SENIOR_REVIEWER)
    legal = enrol(exercise, instructor, "chen", ExerciseRole.LEGAL_REVIEWER)
    post = exercise.content_items.filter(author__persona="journalist").order_by("code").first()
    author = enrol(exercise, instructor, "dana", ExerciseRole.AFFECTED_USER, account=post.author)
    request = decided(senior, student_files(reporter, [post.code], category="government_criticism"))
    appeal = appeal_file(user=author, item=request.items.get(), statement="I am a journalist reporting facts.")
    appeal_decide(reviewer=legal, appeal=appeal, outcome="reversed", rationale="Journalism; restriction lifted.")
    page = client_for(instructor)
    assert "The debrief is not ready" in page.get(f"/exercises/{exercise.slug}/debrief/").content.decode()

    # when
    exercise_close(instructor=instructor, exercise=exercise)
    response = page.get(f"/exercises/{exercise.slug}/debrief/")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(rf'<tr data-reference="{request.reference}">.*?</tr>', html, re.S).group(0)
    assert "Ministry of Information and Social Development (KZ)" in row
    assert "against the findings" in row
    assert response.context["totals"] == {"requests": 1, "items": 1, "decided": 1,
                                          "median_minutes": response.context["totals"]["median_minutes"],
                                          "contradictions": 1, "appeals": 1, "reversed": 1, "restored": 1}
    flags = dict(response.context["hr_flags"])
    assert flags and all(count == 1 for count in flags.values())
    assert html.count('<svg class="chart-svg"') == 5
    assert "style=" not in html and "<script" not in html
    # students of the exercise read it too, and it prints
    assert client_for(author).get(f"/exercises/{exercise.slug}/debrief/").status_code == 200
    printable = client_for(author).get(f"/exercises/{exercise.slug}/debrief/print/")
    assert printable.status_code == 200
    assert 'class="print-view"' in printable.content.decode()
