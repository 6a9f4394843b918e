"""A seminar in a room, as it runs: `scripts/run --class`, reached from another address than localhost.

The product runs in its own process exactly as the README says (gunicorn, a Celery worker,
debug off, SQLite). Everything happens in a real browser at the machine's network address:
an instructor creates an exercise from the comparative scenario, twelve students join at
once, get their roles in one save and one press, reporters of three countries file (one
forgets the scope and answers the platform's question), two reviewers decide, the author
of the restricted post appeals and a third reviewer decides it, the auditor makes an API
token and reads the log with it, and the instructor closes the exercise and reads the
debrief. Every page anyone sees is read: no debug page, no workflow code instead of words,
nothing wider than a phone. Screenshots go to test-artifacts/seminar/.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from playwright.sync_api import expect

from tests.processes import free_port, lines_of, read_until
from tests.reading import codes_in, visible_text

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "seminar"
STUDENTS = [f"student{n:02d}" for n in range(1, 13)]
PASSWORD = "a room of twelve, one process"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# The innermost elements that reach past the right edge of the screen (to say what to fix).
WIDER_THAN_THE_SCREEN = """() => {
  const past = e => e.getBoundingClientRect().right > window.innerWidth + 1;
  const scrolls = e => { for (let a = e.parentElement; a; a = a.parentElement) {
    if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return true; } return false; };
  return [...document.querySelectorAll("body *")]
    .filter(e => past(e) && (!scrolls(e) || getComputedStyle(e).position === "absolute")
      && ![...e.children].some(c => past(c) && !scrolls(c)))
    .slice(0, 5).map(e => e.tagName.toLowerCase() + "." + (e.getAttribute("class") || "") + "#"
      + (e.id || "") + ": " + (e.textContent || "").trim().slice(0, 40));
}"""
DEBUG_MARKERS = ("Traceback", "DEBUG = True", "Django settings", "Request Method:", "Exception Value")


@pytest.fixture(scope="module")
def seminar(tmp_path_factory):
    """`scripts/run --class` in its own process; yields its join address and the instructor's password."""
    tmp = tmp_path_factory.mktemp("seminar")
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3", "CRS_DATA_DIR": str(tmp / "var"),
                "CRS_LOG_SIGNING_KEY_FILE": str(tmp / "log-key"), "CRS_SECRET_KEY_FILE": str(tmp / "secret-key"),
                "DJANGO_STATIC_ROOT": str(tmp / "static"), "PYTHONUNBUFFERED": "1"})
    process = subprocess.Popen([sys.executable, "scripts/run", "--class", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = lines_of(process)
    try:
        output = read_until(lines, "Press Ctrl-C to stop.", timeout=240)
        join_url = re.search(r"students open\s+(http://\S+/exercises/join/)", output).group(1)
        host = urlsplit(join_url).hostname
        if ipaddress.ip_address(host).is_loopback:
            pytest.fail(f"class mode printed a loopback address ({join_url}): students could not reach it")
        password = re.search(r"^\s+Instructor\s+instructor\s+(\S+)", output, re.M).group(1)
        base = join_url.removesuffix("/exercises/join/")
        _wait_for(base)
        yield {"base": base, "join_url": join_url, "instructor_password": password, "output": output}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{base} did not answer within 60 s")


class Room:
    """The people of the seminar, each in a browser context of their own, and what they all saw."""

    def __init__(self, browser, base: str):
        self.browser, self.base = browser, base
        self.contexts, self.pages_read = [], []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def person(self):
        context = self.browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
        context.set_default_timeout(30_000)
        self.contexts.append(context)
        return context.new_page()

    def read(self, page, name: str, *, phone: bool = True) -> str:
        """Read the page as its user does: words, not codes; no debug page; fits a phone. Saves screenshots."""
        page.wait_for_load_state("load")
        html = page.content()
        text = visible_text(html)
        assert not any(marker in html for marker in DEBUG_MARKERS), f"{name}: a debug page at {page.url}"
        codes = codes_in(text)
        where = [text[max(0, text.index(code) - 60):text.index(code) + len(code) + 20] for code in sorted(codes)]
        assert not codes, f"{name}: workflow codes instead of words at {page.url}: {where}"
        page.screenshot(path=str(ARTIFACTS / f"{name}-1366.png"), full_page=True)
        if phone:
            page.set_viewport_size(PHONE)
            width = page.evaluate("document.documentElement.scrollWidth")
            too_wide = page.evaluate(WIDER_THAN_THE_SCREEN) if width > PHONE["width"] else []
            page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
            page.set_viewport_size(DESKTOP)
            assert width <= PHONE["width"], f"{name}: {width} px wide on a 390 px phone at {page.url}: {too_wide}"
        self.pages_read.append(name)
        return text

    def close(self):
        for context in self.contexts:
            context.close()


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


def scenario_post(code: str) -> dict:
    posts = yaml.safe_load((ROOT / "scenarios" / "comparative.yaml").read_text())["content"]
    accounts = yaml.safe_load((ROOT / "scenarios" / "comparative.yaml").read_text())["accounts"]
    post = next(p for p in posts if p["code"] == code)
    author = next(a for a in accounts if a["handle"] == post["author"])
    posted = post["posted_at"] if isinstance(post["posted_at"], datetime) else datetime.fromisoformat(post["posted_at"])
    return {**post, "persona": author["persona"], "day": posted.astimezone(UTC).date().isoformat()}


def report_and_draft(page, base: str, post: dict) -> None:
    """On the platform, find the post with the feed's filters and report it; open the draft."""
    page.goto(f"{base}/platform/?country={post['country']}&persona={post['persona']}"
              f"&posted_from={post['day']}&posted_to={post['day']}")
    page.locator(f"#post-{post['code']}").get_by_role("button", name=re.compile("^Report post")).click()
    page.get_by_role("link", name="Continue to the request form").click()


def fill_the_draft(page, *, category: str, provision: str, justification: str, scope: str | None) -> None:
    """The request form: reason, the law cited, the scope (None: left out) and the justification."""
    page.get_by_label("Reason category").select_option(category)
    page.get_by_role("checkbox", name=re.compile(f"^{provision}")).check()
    if scope:
        page.get_by_role("radio", name=scope).check()
    page.get_by_label("Justification").fill(justification)
    page.get_by_role("button", name="Review before sending").click()


def send(page, *, expected_status: str) -> None:
    page.get_by_role("button", name="Send the request to the platform").click()
    expect(page.locator("#request-status")).to_have_attribute("data-status", expected_status, timeout=60_000)


def decide_first_item(page, base: str, reference: str, *, action: str, reason: str, rationale: str,
                      read_as: tuple[Room, str] | None = None) -> None:
    """In the admin: open the request from the queue, claim it, decide its first item."""
    page.goto(f"{base}/admin/reports/takedownrequest/")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Claim this request").click()
    page.get_by_role("link", name=re.compile("^Decide item 1")).click()
    if read_as:
        read_as[0].read(page, read_as[1])
    page.check(f"input[name=action][value={action}]")
    page.select_option("select[name=reason_code]", reason)
    page.fill("textarea[name=rationale]", rationale)
    if page.locator("input[name=confirm_contradiction]").count():
        page.check("input[name=confirm_contradiction]")
    page.click("input[type=submit][value='Record the decision']")
    expect(page.get_by_text("is decided")).to_be_visible()


def reference_in(url: str) -> str:
    return re.search(r"CRS-\d{4}-\d{6}", url).group(0)


def first_post(country: str) -> dict:
    posts = yaml.safe_load((ROOT / "scenarios" / "comparative.yaml").read_text())["content"]
    return scenario_post(next(p["code"] for p in posts if p["country"] == country))


def test_a_seminar_of_twelve_runs_from_the_rooms_address_to_the_debrief(seminar, browser):
    started = time.monotonic()
    base, room = seminar["base"], Room(browser, seminar["base"])
    try:
        _run_the_seminar(room, base, seminar)
    finally:
        room.close()
    print(f"\nseminar of {len(STUDENTS)} students: {time.monotonic() - started:.0f} s, "
          f"{len(room.pages_read)} pages read")


def _run_the_seminar(room: Room, base: str, seminar: dict) -> None:
    kz_post, de_post, in_post = scenario_post("kz-1003"), first_post("DE"), first_post("IN")

    # The instructor creates the exercise from the comparative scenario.
    teacher = room.person()
    log_in(teacher, base, "instructor", seminar["instructor_password"])
    room.read(teacher, "01-instructor-exercises")
    teacher.get_by_role("link", name="New exercise").click()
    room.read(teacher, "02-new-exercise")
    teacher.get_by_label("Name").fill("Seminar 5: one process, many laws")
    teacher.get_by_role("radio", name=re.compile("^One process, many laws")).check()
    teacher.get_by_label("Brief for the students (optional)").fill(
        "**Reporters**: file for your agency. **Reviewers**: the same workflow for every government.")
    teacher.get_by_role("button", name="Create the exercise").click()
    code = teacher.locator("#join-code").inner_text()
    join_url = teacher.locator("#join-url").inner_text()
    assert urlsplit(join_url).netloc == urlsplit(base).netloc and f"code={code}" in join_url
    room.read(teacher, "03-exercise-created")

    # Twelve students open the join address at the same moment and make their accounts.
    students = {}
    for username in STUDENTS:
        page = room.person()
        page.goto(join_url)
        expect(page.get_by_label("Join code")).to_have_value(code)
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        students[username] = page
    for page in students.values():
        page.get_by_role("button", name="Join").click(no_wait_after=True)
    for page in students.values():  # twelve passwords hashed at once: a few seconds on a laptop
        expect(page.get_by_role("heading", name="Your role: Not yet assigned")).to_be_visible(timeout=60_000)
    room.read(students["student01"], "04-student-waiting")

    # The instructor gives six of them a role in one save, and makes the other six reporters in turn.
    teacher.reload()
    expect(teacher.get_by_role("heading", name=f"Students ({len(STUDENTS)})")).to_be_visible()
    chosen = {"student01": "senior_reviewer", "student02": "legal_reviewer", "student03": "human_rights_reviewer",
              "student04": "policy_reviewer", "student05": "affected_user", "student06": "auditor"}
    for username, role in chosen.items():
        teacher.locator(f'tr[data-member="{username}"]').get_by_label(f"Role of {username}").select_option(role)
    account = teacher.locator('tr[data-member="student05"] select[name$="platform_account"] option',
                              has_text=f"@{kz_post['author']}").get_attribute("value")
    teacher.get_by_label("Platform account (for an affected user) of student05").select_option(account)
    teacher.get_by_role("button", name="Save every student's role").click()
    expect(teacher.locator(".messages")).to_contain_text("Saved the roles of 6 students")
    teacher.get_by_role("button", name=re.compile("^Make the 6 students without a role reporters")).click()
    teacher.get_by_role("button", name="Open the exercise").click()
    expect(teacher.locator("#exercise-state")).to_have_text("Open")
    room.read(teacher, "05-roles-given")
    reporter_of = {}
    for username in STUDENTS[6:]:
        role_now = teacher.locator(f'tr[data-member="{username}"] td').first.inner_text()
        for country, name in (("KZ", "Kazakhstan"), ("DE", "Germany"), ("IN", "India")):
            if f"({name})" in role_now:
                reporter_of.setdefault(country, username)
    assert set(reporter_of) == {"KZ", "DE", "IN"}, "reporters of every country the seminar needs"

    # Each student reloads and reads where their role works.
    for page in students.values():
        page.reload()
        expect(page.get_by_role("heading", name=re.compile("^Your role: (?!Not yet)"))).to_be_visible()
    room.read(students[reporter_of["KZ"]], "06-student-reporter")

    # The Kazakh reporter files a complete request on the call to protest.
    kz = students[reporter_of["KZ"]]
    report_and_draft(kz, base, kz_post)
    room.read(kz, "07-draft")
    fill_the_draft(kz, category="national_security", provision="KZ-CC-174",
                   scope="Restrict in the requester's jurisdiction",
                   justification="The post calls for an unsanctioned assembly on Independence Day, which the law "
                                 "on assemblies and art. 174 prohibit.")
    room.read(kz, "08-draft-review")
    send(kz, expected_status="queued")
    kz_reference = reference_in(kz.url)

    # The German reporter forgets the scope; the platform asks for it, and the answer form supplies it.
    de = students[reporter_of["DE"]]
    report_and_draft(de, base, de_post)
    fill_the_draft(de, category="hate_speech", provision="DE-STGB-130", scope=None,
                   justification="The post incites hatred against a group of the population (§ 130 StGB) and is "
                                 "unlawful in Germany.")
    expect(de.get_by_text("You do not say whether the content should be removed globally")).to_be_visible()
    send(de, expected_status="needs_info")
    text = room.read(de, "09-needs-information")
    assert "The platform is waiting for" in text and "the scope" in text
    de.locator("#respond").get_by_role("radio", name="Restrict in the requester's jurisdiction").check()
    de.get_by_label("Your answer").fill("Restricted in Germany only, where § 130 StGB applies.")
    de.get_by_role("button", name="Send your answer").click()
    expect(de.locator("#request-status")).to_have_attribute("data-status", "queued", timeout=60_000)
    room.read(de, "10-answered")

    # The Indian reporter files too; it waits for review when the class ends.
    india = students[reporter_of["IN"]]
    report_and_draft(india, base, in_post)
    fill_the_draft(india, category="national_security", provision="IN-ITA-69A",
                   scope="Restrict in the requester's jurisdiction",
                   justification="Blocking is necessary in the interest of public order under section 69A of the "
                                 "IT Act.")
    send(india, expected_status="queued")

    # The senior reviewer restricts the Kazakh post in Kazakhstan.
    senior = students["student01"]
    senior.goto(f"{base}/admin/")
    room.read(senior, "11-admin-index")
    senior.goto(f"{base}/admin/reports/takedownrequest/")
    room.read(senior, "12-admin-queue")
    senior.get_by_role("link", name=kz_reference).click()
    room.read(senior, "13-admin-request")
    decide_first_item(senior, base, kz_reference, action="restrict_in_jurisdiction", reason="unlawful_locally",
                      rationale="Unlawful under the cited law; withheld in Kazakhstan only.",
                      read_as=(room, "14-admin-decide"))

    # A second reviewer, of the queue the German request was routed to, decides it.
    de_reference = reference_in(de.url)
    senior.goto(f"{base}/admin/reports/takedownrequest/?q={de_reference}")
    queue = senior.locator(f"tr:has-text('{de_reference}')").first.inner_text()
    tier = next(username for name, username in (("Platform policy", "student04"), ("Local law", "student02"),
                                                 ("Human-rights", "student03")) if name in queue)
    second = students[tier]
    decide_first_item(second, base, de_reference, action="no_action", reason="not_specific",
                      rationale="The request does not show how this post breaks § 130 StGB.")
    room.read(second, "15-admin-decided")

    # The author reads the notice and appeals; a third reviewer decides the appeal.
    author = students["student05"]
    author.goto(f"{base}/platform/")
    room.read(author, "16-author-platform")
    author.locator("#notices").get_by_role("link", name="Read the notice and appeal").click()
    room.read(author, "17-notice")
    author.get_by_label("Why the decision is wrong").fill("A silent gathering with blank sheets incites nobody.")
    author.get_by_role("button", name="Send the appeal").click()
    expect(author.locator("#appeal-status")).to_contain_text("Waiting for a reviewer")
    third = students["student03"] if tier != "student03" else students["student02"]
    third.goto(f"{base}/admin/")
    third.locator("[data-count=appeals-waiting]").click()
    room.read(third, "18-admin-appeals")
    third.get_by_role("link", name=f"Appeal on {kz_reference} item 1").click()
    room.read(third, "19-admin-appeal")
    third.get_by_role("link", name="Decide this appeal…").click()
    third.check("input[name=outcome][value=reversed]")
    third.fill("textarea[name=rationale]", "Peaceful assembly is protected; the post is restored.")
    third.click("input[type=submit][value='Record the appeal decision']")
    expect(third.get_by_text("Appeal reversed: the post is restored.")).to_be_visible()

    # The auditor makes an API token and reads the request log with it, from outside the browser.
    auditor = students["student06"]
    auditor.goto(f"{base}/exercises/")
    auditor.get_by_role("link", name="your API page").click()
    auditor.get_by_role("button", name="Make a token").click()
    key = auditor.locator("#token-key").inner_text()
    room.read(auditor, "20-auditor-token")
    api = urllib.request.Request(f"{base}/api/v1/audit/requests/", headers={"Authorization": f"Token {key}"})
    with urllib.request.urlopen(api, timeout=10) as response:
        log = json.loads(response.read())
    assert sorted(row["jurisdiction"] for row in log["results"]) == ["DE", "IN", "KZ"]

    # The reporters follow their requests; the instructor closes the exercise and reads the debrief.
    kz.goto(f"{base}/portal/")
    room.read(kz, "21-reporter-dashboard")
    kz.get_by_role("link", name=kz_reference).click()
    room.read(kz, "22-reporter-request")
    teacher.reload()
    expect(teacher.locator("#progress")).to_have_text(
        "So far: 3 requests filed, 1 waiting for a reviewer, 2 decided; 1 appeal, 0 waiting.")
    teacher.get_by_role("link", name="Close the exercise…").click()
    room.read(teacher, "23-close-confirm")
    teacher.get_by_role("button", name="Yes, close the exercise").click()
    teacher.get_by_role("link", name="Read the debrief").click()
    debrief = room.read(teacher, "24-debrief")
    assert "Debrief: Seminar 5: one process, many laws" in debrief
    for country in ("Kazakhstan", "Germany", "India"):
        expect(teacher.locator("#jurisdictions")).to_contain_text(country)
    expect(teacher.locator("#appeals")).to_contain_text("Reversed")
    # The debrief's question about the record: a forged history built from this class's own log.
    teacher.get_by_role("link", name="Could the platform have shown two different histories?").click()
    split_view = room.read(teacher, "24b-split-view")
    assert "A forged record, built for real" in split_view and "Why witnesses rule it out" in split_view

    # After the close every student is told, and nobody is offered what would be refused.
    kz.goto(f"{base}/platform/")
    assert "is closed" in room.read(kz, "25-closed-platform")
    assert kz.get_by_role("button", name=re.compile("^Report post")).count() == 0
    author.goto(f"{base}/transparency/")
    room.read(author, "26-transparency")
