"""Shared fixtures: named people with clear roles, the scenarios, and a real Celery worker."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from classroom.scenarios import load_scenario
from reports import roles
from reports.models import ReporterAccount
from tests.factories import ReporterFactory, UserFactory, user_in_role

# Classroom exercises built through the real services: instructor, classroom, restricted.
pytest_plugins = ["tests.exercises"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (lockout counts, cached transparency figures and pages)."""
    from django.core.cache import cache

    from transparency.page_cache import RECENT_PAGES

    cache.clear()
    RECENT_PAGES.clear()


@pytest.fixture
def client_for():
    """``client_for(user)``: a test client logged in as ``user``, for the pages, the admin and the API alike."""
    from rest_framework.test import APIClient

    def logged_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)  # the pages and the admin read the session
        client.force_authenticate(user)  # the API takes the user as its authentication found it
        return client

    return logged_in


@pytest.fixture
def kz_scenario(db):
    load_scenario("kazakhstan-2021")


@pytest.fixture
def comparative_scenario(db):
    load_scenario("comparative")


def _reporter(username: str, agency_code: str) -> ReporterAccount:
    from reports.models import Agency

    return ReporterFactory(user=UserFactory(username=username), agency=Agency.objects.get(code=agency_code))


@pytest.fixture
def kz_reporter(kz_scenario) -> ReporterAccount:
    """A verified reporter of Kazakhstan's Ministry of Information and Social Development."""
    return _reporter("kz_reporter", "kz-misd")


@pytest.fixture
def kz_prosecutor(kz_scenario) -> ReporterAccount:
    """A verified reporter of another Kazakh agency (the Prosecutor General's Office)."""
    return _reporter("kz_prosecutor", "kz-prosecutor")


@pytest.fixture
def de_reporter(comparative_scenario) -> ReporterAccount:
    from reports.models import Agency

    agency = Agency.objects.filter(jurisdiction_id="DE").order_by("code").first()
    return _reporter("de_reporter", agency.code)


@pytest.fixture
def pending_reporter(kz_scenario) -> ReporterAccount:
    account = _reporter("pending_reporter", "kz-police")
    account.verification = ReporterAccount.Verification.PENDING
    account.save()
    return account


@pytest.fixture
def policy_reviewer(db):
    return user_in_role("policy_reviewer", roles.POLICY_REVIEWER)


@pytest.fixture
def legal_reviewer(db):
    return user_in_role("legal_reviewer", roles.LEGAL_REVIEWER)


@pytest.fixture
def hr_reviewer(db):
    return user_in_role("hr_reviewer", roles.HUMAN_RIGHTS_REVIEWER)


@pytest.fixture
def senior_reviewer(db):
    return user_in_role("senior_reviewer", roles.SENIOR_REVIEWER)


@pytest.fixture
def auditor(db):
    return user_in_role("auditor", roles.AUDITOR)


@pytest.fixture
def platform_staff(db):
    """Verifies reporter accounts; reads no request."""
    return user_in_role("platform_staff", roles.PLATFORM_STAFF)


@pytest.fixture
def outsider(db):
    """Logged in, but no role at all."""
    return UserFactory(username="outsider")


@pytest.fixture(scope="session")
def celery_worker_session():
    """One real Celery worker (in a thread, on the configured broker) shared by the whole run.

    It consumes only while a test asks for it (``celery_worker``): otherwise it would
    screen requests that other tests file, behind their backs and across their teardown.
    """
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.control.purge()
    # Its own name: control commands are addressed by name, and parallel test processes share the broker.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                      hostname=f"tests-{os.getpid()}@localhost") as worker:
        _consume(app, worker, False)
        yield worker


def _consume(app, worker, on: bool) -> None:
    queue = app.conf.task_default_queue
    command = app.control.add_consumer if on else app.control.cancel_consumer
    # A loaded machine (CI beside other jobs) can keep the worker thread from answering for a while:
    # ask again rather than fail a whole process's worker tests on one late reply.
    for _attempt in range(3):
        if command(queue, destination=[worker.hostname], reply=True, timeout=10):
            return
    raise AssertionError(f"the test worker did not answer the request to {'start' if on else 'stop'} consuming")


@pytest.fixture
def celery_worker(celery_worker_session, transactional_db):
    """The shared worker, for tests whose data it must see (committed, hence transactional_db)."""
    from celery.worker import state

    from config.celery import app
    from tests.waiting import wait_until

    app.control.purge()  # messages other tests left behind name requests that no longer exist
    _consume(app, celery_worker_session, True)
    yield celery_worker_session
    _consume(app, celery_worker_session, False)
    # The test's data is flushed next: let the task in hand finish first.
    wait_until(lambda: not state.active_requests and not state.reserved_requests, timeout=60,
               message="the test worker to finish its task")


def pytest_sessionstart(session):
    """In CI the real PostgreSQL and Redis are required: fail at once rather than skip or hang."""
    import os

    if os.environ.get("CRS_REQUIRE_SERVICES") != "1":
        return
    import psycopg
    import redis

    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url.startswith("redis"):
        raise pytest.UsageError("CRS_REQUIRE_SERVICES=1 needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    try:
        # The maintenance database: the test database does not exist yet at this point.
        conninfo = psycopg.conninfo.make_conninfo(database_url, dbname="postgres", connect_timeout=5)
        psycopg.connect(conninfo).close()
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except Exception as exc:
        raise pytest.UsageError(f"CI needs PostgreSQL and Redis, and one is unreachable: {exc}") from exc


def _content_code(**filters) -> str:
    from reports.models import ContentItem

    return ContentItem.objects.filter(**filters).order_by("code").values_list("code", flat=True).first()


@pytest.fixture
def violating_content_code(kz_scenario) -> str:
    """A Kazakh post that violates a community standard (found by the rules, not hard-coded)."""
    from reports.models import ContentItem
    from review.checks.platform_policy import assess_text
    from review.rules import active_ruleset, compile_rules

    rules = compile_rules(active_ruleset().data)
    for content in ContentItem.objects.filter(country="KZ").order_by("code"):
        if assess_text(content.text, rules)[0] == "violates":
            return content.code
    raise AssertionError("the scenario has no violating post")


@pytest.fixture
def harmless_content_code(kz_scenario) -> str:
    """A post by an ordinary user that violates no community standard."""
    from reports.models import ContentItem
    from review.checks.platform_policy import assess_text
    from review.rules import active_ruleset, compile_rules

    rules = compile_rules(active_ruleset().data)
    for content in ContentItem.objects.filter(country="KZ", author__persona="ordinary_user").order_by("code"):
        if assess_text(content.text, rules)[0] == "no_violation":
            return content.code
    raise AssertionError("the scenario has no harmless post by an ordinary user")


@pytest.fixture
def journalist_content_code(kz_scenario) -> str:
    from reports.models import ContentItem
    from review.checks.platform_policy import assess_text
    from review.rules import active_ruleset, compile_rules

    rules = compile_rules(active_ruleset().data)
    for content in ContentItem.objects.filter(country="KZ", author__persona="journalist").order_by("code"):
        if assess_text(content.text, rules)[0] == "no_violation":
            return content.code
    raise AssertionError("the scenario has no non-violating post by a journalist")


# --- Browser tests (Playwright driving Chromium) ------------------------------------------------
# Playwright's sync API runs an event loop in this thread; Django's ORM must still be usable from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _chromium_path() -> str | None:
    configured = os.environ.get("CRS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return configured if Path(configured).exists() else None  # None: Playwright's own download


def pytest_collection_modifyitems(config, items):
    """Without a Chromium (scripts/test says why in one line), the browser tests are reported as not run.

    CI sets CRS_REQUIRE_BROWSER=1: there a missing browser is an error, never a skip.
    """
    missing = os.environ.get("CRS_BROWSER_MISSING")
    if not missing:
        return
    if os.environ.get("CRS_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"CRS_REQUIRE_BROWSER=1, and: {missing}")
    skip = pytest.mark.skip(reason=missing)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh browser context (its own cookies): one per person in a journey."""
    contexts = []

    def open_page(*, javascript: bool = True, viewport: dict | None = None, storage_state=None):
        context = browser.new_context(viewport=viewport or DESKTOP, java_script_enabled=javascript,
                                      storage_state=storage_state, accept_downloads=True, locale="en-GB",
                                      timezone_id="UTC")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    # Inside Playwright's sync API Django sees another context, hence its own database
    # connection: close it, or it outlives the test and blocks the test database's removal.
    from django.db import connections

    connections.close_all()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


