"""A small exercise end to end in a real browser, against a live server and a real Celery worker.

An instructor creates an exercise from the comparative scenario; students join by its
code and are given roles; reporters of Kazakhstan and Germany file through the portal;
a senior reviewer decides in the admin; the author of a restricted post reads the notice and
appeals; another reviewer reverses the decision; the instructor closes the exercise and reads
the debrief, whose screenshot is saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from classroom.services import exercise_join, membership_assign
from reports import roles
from reports.models import Appeal, ContentItem, Exercise, Status, TakedownRequest
from review.services import item_decide, request_claim
from tests.exercises import PASSWORD
from tests.factories import UserFactory, user_in_role
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quick_polling(settings):
    settings.CRS_PORTAL_POLL_MS = 300


def log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/?next=/exercises/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def join(new_page, url: str, code: str, username: str):
    page = new_page()
    page.goto(f"{url}/exercises/join/")
    page.get_by_label("Join code").fill(code)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Your role: Not yet assigned")).to_be_visible()
    return page


def choose_role(page, username: str, role: str, **choices) -> None:
    """Choose a student's role in their row of the students' table (saved with the table's one button)."""
    row = page.locator(f'tr[data-member="{username}"]')
    row.get_by_label(f"Role of {username}").select_option(role)
    for label, value in choices.items():
        row.get_by_label(f"{label} of {username}").select_option(value)


def harmless_post(exercise: Exercise, country: str) -> ContentItem:
    from review.checks.platform_policy import assess_text
    from review.rules import active_ruleset, compile_rules

    rules = compile_rules(active_ruleset().data)
    return next(post for post in ContentItem.objects.filter(exercise=exercise, country=country)
                .select_related("author").order_by("code") if assess_text(post.text, rules)[0] == "no_violation")


def file_through_the_portal(page, url: str, post: ContentItem, provision: str, justification: str) -> None:
    day = post.posted_at.date().isoformat()
    page.goto(f"{url}/platform/?country={post.country}&persona={post.author.persona}&posted_from={day}&posted_to={day}")
    page.locator(f"#post-{post.code}").get_by_role("button", name=re.compile("^Report post")).click()
    page.get_by_role("link", name="Continue to the request form").click()
    page.get_by_label("Reason category").select_option("hate_speech")
    page.get_by_role("checkbox", name=re.compile(f"^{provision}")).check()
    page.get_by_role("radio", name="Restrict in the requester's jurisdiction").check()
    page.get_by_label("Justification").fill(justification)
    page.get_by_label("Court", exact=True).fill("District court")
    page.get_by_label("Case number").fill("2-1187/2021")
    page.get_by_role("button", name="Review before sending").click()
    page.get_by_role("button", name="Send the request to the platform").click()
    expect(page.locator("#request-status")).to_have_attribute("data-status", "queued", timeout=30_000)


def test_a_small_exercise_from_creation_to_debrief(new_page, screenshot, live_server, celery_worker, tmp_path):
    url = live_server.url
    instructor = user_in_role("instructor", roles.INSTRUCTOR, staff=False)

    # given: the instructor creates an exercise from the comparative scenario
    teacher = new_page()
    log_in(teacher, url, "instructor")
    teacher.get_by_role("link", name="New exercise").click()
    teacher.get_by_role("button", name="Create the exercise").click()
    expect(teacher.locator(".error-summary")).to_contain_text("Give the exercise a name your students will recognise")
    teacher.get_by_label("Name").fill("One process, many laws — seminar 4")
    teacher.get_by_role("radio", name=re.compile("^One process, many laws")).check()
    teacher.get_by_role("button", name="Create the exercise").click()
    code = teacher.locator("#join-code").inner_text()
    exercise = Exercise.objects.get(join_code=code)
    kz_post, de_post = harmless_post(exercise, "KZ"), harmless_post(exercise, "DE")

    # and five students join with the code and are given their roles (three of them through the same
    # services the pages call, to keep the journey short)
    students = {name: join(new_page, url, code, name) for name in ("aliya", "dana")}
    for name, role, agency in (("dieter", "reporter", "de-bka"), ("bolat", "senior_reviewer", ""),
                               ("chen", "legal_reviewer", "")):
        membership = exercise_join(user=UserFactory(username=name), join_code=code)
        membership_assign(instructor=instructor, membership=membership, role=role, agency_code=agency)
        students[name] = new_page()
        log_in(students[name], url, name)
    teacher.reload()
    choose_role(teacher, "aliya", "reporter", **{"Agency (for a reporter)": "kz-misd"})
    choose_role(teacher, "dana", "affected_user", **{"Platform account (for an affected user)": str(kz_post.author_id)})
    teacher.get_by_role("button", name="Save every student's role").click()
    expect(teacher.locator(".messages")).to_contain_text("Saved the roles of 2 students: aliya, dana.")
    teacher.get_by_role("button", name="Open the exercise").click()
    expect(teacher.locator("#exercise-state")).to_have_text("Open")
    screenshot(teacher, "exercise-01-run")

    # when: the two agencies, of different jurisdictions, file through the portal
    file_through_the_portal(students["aliya"], url, kz_post, "KZ-CC-174",
                            "The post incites discord between groups, which art. 174 prohibits.")
    file_through_the_portal(students["dieter"], url, de_post, "DE-STGB-86A",
                            "The post shows a symbol of an unconstitutional organisation (§ 86a StGB).")
    kz_request, de_request = (TakedownRequest.objects.get(exercise=exercise, agency__code=agency)
                              for agency in ("kz-misd", "de-bka"))

    # and the senior reviewer decides the Kazakh request in the admin
    reviewer = students["bolat"]
    reviewer.goto(f"{url}/admin/reports/takedownrequest/{kz_request.pk}/change/")
    reviewer.get_by_role("button", name="Claim this request").click()
    reviewer.get_by_role("link", name=re.compile("^Decide item 1")).click()
    reviewer.check("input[name=action][value=restrict_in_jurisdiction]")
    reviewer.select_option("select[name=reason_code]", "unlawful_locally")
    reviewer.fill("textarea[name=rationale]", "The court order covers the post; restricted in Kazakhstan only.")
    if reviewer.locator("input[name=confirm_contradiction]").count():
        reviewer.check("input[name=confirm_contradiction]")
    reviewer.click("input[type=submit][value='Record the decision']")
    expect(reviewer.get_by_text("is decided")).to_be_visible()
    bolat = kz_request.submitted_by.__class__.objects.get(username="bolat")
    request_claim(reviewer=bolat, request=de_request)  # the German one through the same service, to keep it short
    item_decide(reviewer=bolat, item=de_request.items.get(), action="no_action", reason_code="not_unlawful",
                rationale="The image is a historical photograph in a documentary context.")

    # then: the author sees the notice on the platform, and appeals
    author = students["dana"]
    author.goto(f"{url}/platform/")
    notices = author.locator("#notices")
    expect(notices).to_contain_text(f"Post {kz_post.code}: withheld in Kazakhstan at the request of Ministry of "
                                    "Information and Social Development (Kazakhstan).")
    notices.get_by_role("link", name="Read the notice and appeal").click()
    expect(author.get_by_role("heading", level=1)).to_have_text(f"Your post {kz_post.code} was withheld in Kazakhstan")
    expect(author.get_by_text("Criminal Code of the Republic of Kazakhstan art. 174")).to_be_visible()
    author.get_by_role("button", name="Send the appeal").click()
    expect(author.locator(".error-summary")).to_contain_text("Say why the decision is wrong")
    author.get_by_label("Why the decision is wrong").fill("I described a neighbourhood dispute; I incited nobody.")
    author.get_by_role("button", name="Send the appeal").click()
    expect(author.locator("#appeal-status")).to_contain_text("Waiting for a reviewer")
    screenshot(author, "exercise-02-notice-appealed")

    # when: the reviewer who decided cannot decide the appeal, another one reverses it
    appeal = Appeal.objects.get(exercise=exercise)
    reviewer.goto(f"{url}/admin/reports/appeal/{appeal.pk}/change/")
    expect(reviewer.get_by_text("another reviewer must decide it")).to_be_visible()
    second = students["chen"]
    second.goto(f"{url}/admin/")
    second.locator("[data-count=appeals-waiting]").click()
    second.get_by_role("link", name=str(appeal)).click()
    second.get_by_role("link", name="Decide this appeal…").click()
    second.check("input[name=outcome][value=reversed]")
    second.fill("textarea[name=rationale]", "A neighbourhood dispute is not incitement; the post is restored.")
    second.click("input[type=submit][value='Record the appeal decision']")
    expect(second.get_by_text("Appeal reversed: the post is restored.")).to_be_visible()
    author.reload()
    expect(author.locator("#appeal-status")).to_contain_text("Reversed")
    assert ContentItem.objects.get(pk=kz_post.pk).visible_in("KZ")

    # and the instructor closes the exercise and reads the debrief
    teacher.console_errors.clear()  # the refused form above answered 400, as it should
    teacher.reload()
    expect(teacher.locator("#progress")).to_have_text(
        "So far: 2 requests filed, 0 waiting for a reviewer, 2 decided; 1 appeal, 0 waiting.")
    teacher.get_by_role("link", name="Close the exercise…").click()
    teacher.get_by_role("button", name="Yes, close the exercise").click()
    teacher.get_by_role("link", name="Read the debrief").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Debrief: One process, many laws — seminar 4")
    expect(teacher.locator('#jurisdictions tr[data-jurisdiction="KZ"]')).to_contain_text("Kazakhstan")
    expect(teacher.locator('#jurisdictions tr[data-jurisdiction="DE"]')).to_contain_text("Germany")
    expect(teacher.locator("#appeals")).to_contain_text("Reversed")
    assert teacher.locator("svg.chart-svg").count() == 5
    assert teacher.console_errors == []
    screenshot(teacher, "exercise-03-debrief")
    teacher.screenshot(path=str(tmp_path / "debrief.png"), full_page=True)
    teacher.get_by_role("link", name=re.compile("^Printable version")).click()
    teacher.emulate_media(media="print")
    expect(teacher.locator("header.site")).to_have_count(0)
    screenshot(teacher, "exercise-04-debrief-print")

    wait_until(lambda: TakedownRequest.objects.filter(exercise=exercise, status=Status.DECIDED).count() == 2,
               timeout=5, message="both requests to be decided")
