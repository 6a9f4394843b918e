"""The classroom pages: an instructor creates and runs an exercise, students join, the debrief is read."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.test import Client

from classroom.services import agencies_for, exercise_close, exercise_create
from reports.models import Exercise, ExerciseMembership, ExerciseRole, PlatformAccount, ReporterAccount
from review.services import appeal_decide, appeal_file
from tests.builders import decided
from tests.exercises import PASSWORD, enrol, new_exercise, student_files
from tests.factories import UserFactory
from tests.reading import codes_in, visible_text

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
    url = f"/exercises/{exercise.slug}/roles/"
    prefix = f"m{membership.pk}"

    refused = page.post(url, {f"{prefix}-role": "reporter", f"{prefix}-agency": ""})
    assert refused.status_code == 400
    assert "Choose the agency this reporter acts for (one of the scenario&#x27;s agencies)." in refused.content.decode()
    assert "Some roles were not saved: each says why in its row." in refused.content.decode()
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
    assert codes_in(visible_text(html)) == set()  # verdicts, flags, routes and roles in words
    # students of the exercise read it too, and it prints
    assert client_for(author).get(f"/exercises/{exercise.slug}/debrief/").status_code == 200
    printable = client_for(author).get(f"/exercises/{exercise.slug}/debrief/print/")
    assert printable.status_code == 200
    assert 'class="print-view"' in printable.content.decode()


def join_as(client_for, exercise, *usernames: str) -> list[ExerciseMembership]:
    for username in usernames:
        client_for(UserFactory(username=username)).post("/exercises/join/", {"join_code": exercise.join_code})
    return list(ExerciseMembership.objects.filter(exercise=exercise).order_by("joined_at", "id"))


def test_the_instructor_gives_a_whole_room_its_roles_with_one_save(client_for, instructor):
    # given: five students who joined
    exercise = new_exercise(instructor, "Seminar 3", scenario="comparative")
    members = join_as(client_for, exercise, "ana", "ben", "cem", "dia", "eli")
    account = PlatformAccount.objects.filter(exercise=exercise).order_by("handle").first()
    rows = {f"m{m.pk}-role": "" for m in members}

    # when: one save gives three of them roles, one of them a reporter without an agency
    response = client_for(instructor).post(f"/exercises/{exercise.slug}/roles/", {
        **rows, f"m{members[0].pk}-role": "senior_reviewer", f"m{members[1].pk}-role": "affected_user",
        f"m{members[1].pk}-platform_account": str(account.pk), f"m{members[2].pk}-role": "reporter"})

    # then: the good rows are saved, the bad one says why and keeps its choice, the others are untouched
    assert response.status_code == 400
    html = response.content.decode()
    assert "Saved the roles of 2 students: ana, ben." in html
    assert "Choose the agency this reporter acts for" in html
    roles = dict(ExerciseMembership.objects.filter(exercise=exercise).values_list("user__username", "role"))
    assert roles == {"ana": "senior_reviewer", "ben": "affected_user", "cem": "unassigned", "dia": "unassigned",
                     "eli": "unassigned"}


def test_students_without_a_role_become_reporters_of_the_agencies_in_turn(client_for, instructor):
    exercise = new_exercise(instructor, "Seminar 3", scenario="comparative")
    join_as(client_for, exercise, *[f"student{n}" for n in range(12)])
    agencies = list(agencies_for(exercise))

    response = client_for(instructor).post(f"/exercises/{exercise.slug}/roles/reporters/")

    assert response.status_code == 302
    counts = Counter(ExerciseMembership.objects.filter(exercise=exercise).values_list("agency__code", flat=True))
    assert len(counts) == 12 and set(counts) <= {agency.code for agency in agencies}
    assert max(counts.values()) == 1, "the agencies are kept even"
    countries = Counter(ExerciseMembership.objects.filter(exercise=exercise)
                        .values_list("agency__jurisdiction_id", flat=True))
    assert set(countries) == {agency.jurisdiction_id for agency in agencies}
    assert max(countries.values()) - min(countries.values()) <= 1, "and so are the countries"
    assert ReporterAccount.objects.filter(exercise=exercise, verification="verified").count() == 12


def test_a_class_smaller_than_the_scenarios_countries_gets_one_reporter_per_country(client_for, instructor):
    exercise = new_exercise(instructor, "Seminar 3", scenario="comparative")
    join_as(client_for, exercise, *[f"student{n}" for n in range(5)])

    client_for(instructor).post(f"/exercises/{exercise.slug}/roles/reporters/")

    countries = list(ExerciseMembership.objects.filter(exercise=exercise)
                     .values_list("agency__jurisdiction_id", flat=True))
    assert len(set(countries)) == 5, countries  # not five agencies of the first country in the list


def test_closing_asks_first_and_only_the_confirmation_closes(client_for, instructor):
    exercise = new_exercise(instructor, "Seminar 3")
    page = client_for(instructor)

    asked = page.get(f"/exercises/{exercise.slug}/close/")
    assert asked.status_code == 200
    assert "Closing is final." in asked.content.decode() and "Yes, close the exercise" in asked.content.decode()
    assert Exercise.objects.get(pk=exercise.pk).state == "open"

    page.post(f"/exercises/{exercise.slug}/close/")
    assert Exercise.objects.get(pk=exercise.pk).state == "closed"


def test_the_join_box_shows_the_rooms_address_and_a_qr_code_with_the_code(client_for, instructor, settings):
    settings.SITE_URL = "http://192.0.2.2:8000"
    exercise = new_exercise(instructor, "Seminar 3")

    html = client_for(instructor).get(f"/exercises/{exercise.slug}/").content.decode()

    join_url = f"http://192.0.2.2:8000/exercises/join/?code={exercise.join_code}"
    assert f'href="{join_url}"' in html
    assert 'src="data:image/svg+xml' in html and f"the code {exercise.join_code}" in html
    assert "127.0.0.1" not in html
    scanned = client_for(UserFactory(username="scanner")).get(f"/exercises/join/?code={exercise.join_code}")
    assert f'value="{exercise.join_code}"' in scanned.content.decode()


def test_on_this_machine_the_join_box_shows_the_address_the_instructor_used(client_for, instructor, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "vm.local"]
    exercise = new_exercise(instructor, "Seminar 3")

    html = client_for(instructor).get(f"/exercises/{exercise.slug}/", HTTP_HOST="vm.local:8000").content.decode()

    assert f"http://vm.local:8000/exercises/join/?code={exercise.join_code}" in html


def test_the_scenario_picker_names_each_scenario_and_what_it_is_for(client_for, instructor):
    html = client_for(instructor).get("/exercises/new/").content.decode()

    assert "Kazakhstan, November 2021 (Kazakhstan)." in html
    assert "comparative" in html and "Germany" in html
    assert "— choose a scenario —" not in html


def test_the_brief_is_rendered_from_markdown_and_typed_html_stays_text(client_for, instructor):
    exercise = exercise_create(instructor=instructor, name="Seminar 3", scenario="kazakhstan-2021",
                               brief="**Roles** <script>alert(1)</script> [docs](javascript:alert(2))")
    student = UserFactory(username="aliya")
    client_for(student).post("/exercises/join/", {"join_code": exercise.join_code})

    html = client_for(student).get(f"/exercises/{exercise.slug}/").content.decode()

    assert "<strong>Roles</strong>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "Scenario: Kazakhstan, November 2021" in html
