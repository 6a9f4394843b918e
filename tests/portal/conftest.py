"""Browser fixtures: one Chromium for the whole run, a fresh context per person, screenshots on disk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

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


@pytest.fixture
def screenshot():
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def platform_staff(db):
    from reports import roles
    from tests.factories import user_in_role

    return user_in_role("platform_staff", roles.PLATFORM_STAFF)


@pytest.fixture
def kz_colleague(kz_reporter):
    """A second verified reporter of kz_reporter's own agency."""
    from reports.models import Agency
    from tests.factories import ReporterFactory, UserFactory

    return ReporterFactory(user=UserFactory(username="kz_colleague"), agency=Agency.objects.get(code="kz-misd"))
