"""A reviewer's day in a real browser: the queues, the request list, the request page, a decision.

Drives Debian's Chromium through Playwright against the live test server and keeps
screenshots under test-artifacts/screenshots/. Also proves the pages break no rule
of the Content Security Policy (no inline styles or scripts).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from reports.models import ContentItem, Status, TakedownRequest
from review.models import Decision

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


@pytest.fixture
def browser_page(new_page):
    page = new_page(viewport={"width": 1680, "height": 1000})
    page.csp_violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text
            and page.csp_violations.append(message.text))
    return page


def test_reviewer_triages_claims_and_decides_in_the_browser(live_server, browser_page, file_request, policy_reviewer):
    page = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    waiting = [file_request("policy"), file_request("policy"), file_request("legal"), file_request("human_rights")]
    TakedownRequest.objects.filter(pk=waiting[1].pk).update(sla_due_at=waiting[1].routed_at)  # already overdue

    # Log in to the admin.
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", policy_reviewer.username)
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")

    # The index shows the queues.
    page.wait_for_selector("text=Review queues")
    assert page.inner_text("[data-count=open-policy]") == "2"
    assert page.inner_text("[data-count=overdue-policy]") == "1"
    page.screenshot(path=str(SCREENSHOTS / "admin-index-queues.png"), full_page=True)

    # The policy queue's list: most urgent first, the overdue row marked.
    page.click("th >> text=Platform policy")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 2
    assert page.locator("#result_list tbody tr:has(.crs-sla--overdue)").count() == 1
    background = page.eval_on_selector("#result_list tbody tr:has(.crs-sla--overdue)",
                                       "row => getComputedStyle(row).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background
    page.screenshot(path=str(SCREENSHOTS / "admin-queue-list.png"), full_page=True)

    # Claim the next one: the request page opens, held by the reviewer.
    page.click("text=Claim next in the platform policy queue")
    page.wait_for_selector("text=You hold")
    claimed = TakedownRequest.objects.get(claimed_by=policy_reviewer)
    assert claimed.reference in page.inner_text("#crs-panel-title")
    assert page.locator(".crs-check").count() == 4
    page.screenshot(path=str(SCREENSHOTS / "admin-request-page.png"), full_page=True)

    # Decide the item.
    page.click("text=Decide item 1")
    page.wait_for_selector("text=Before you decide")
    page.check("input[name=action][value=remove_globally]")
    page.select_option("select[name=reason_code]", "policy_violation")
    page.fill("textarea[name=rationale]", "A call to burn down the akimat and kill police officers.")
    page.screenshot(path=str(SCREENSHOTS / "admin-decide-item.png"), full_page=True)
    page.click("input[type=submit][value='Record the decision']")
    page.wait_for_selector("text=is decided")

    claimed.refresh_from_db()
    assert (claimed.status, claimed.claimed_by) == (Status.DECIDED, None)
    decision = Decision.objects.get(request=claimed)
    assert (decision.action, decision.reviewer) == ("remove_globally", policy_reviewer)
    assert ContentItem.objects.get(pk=decision.item.content_id).removed_globally_at is not None
    assert page.csp_violations == []
