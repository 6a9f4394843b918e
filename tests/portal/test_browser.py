"""A newcomer's whole journey in a real browser, against a live server and a real Celery worker.

Chromium (Debian's, through Playwright) registers, is verified by platform staff in the
admin, reports two posts, files with a PDF, watches screening route the request to a
queue without reloading, answers a reviewer's request for information, reads the
decision and asks for reconsideration. A second journey files with JavaScript off.
Each page is saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reports import roles
from reports.models import ContentItem, Evidence, ReporterAccount, RequestMessage, Status, TakedownRequest
from review.checks.platform_policy import assess_text
from review.models import Decision
from review.rules import active_ruleset, compile_rules
from review.services import item_decide, request_ask_info, request_claim
from tests.builders import JUSTIFICATION
from tests.conftest import PHONE
from tests.factories import user_in_role
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "Steppe-Wind-2021-quiet"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(el => el.type !== 'hidden' && !el.closest('[aria-hidden="true"]'))
  .filter(el => el.tagName === 'BUTTON'
      ? !(el.textContent.trim() || el.getAttribute('aria-label'))
      : !((el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
  .map(el => el.outerHTML.slice(0, 160))"""
FITS_PHONE = "() => document.documentElement.scrollWidth <= window.innerWidth"


def harmless_posts(count: int) -> list[str]:
    """Posts by ordinary Kazakh users that break no community standard (screening sends them to the legal queue)."""
    rules = compile_rules(active_ruleset().data)
    codes = [content.code for content in ContentItem.objects.filter(country="KZ", author__persona="ordinary_user")
             .order_by("code") if assess_text(content.text, rules)[0] == "no_violation"]
    assert len(codes) >= count, "the scenario has too few harmless posts by ordinary users"
    return codes[:count]


def assert_accessible_basics(page) -> None:
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    assert page.locator("h1").count() == 1


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def status_of(page):
    return page.locator("#request-status")


@pytest.fixture(autouse=True)
def quick_polling(settings):
    # The live server runs in this process: the page asks for news every 0.3 s instead of every 2 s.
    settings.CRS_PORTAL_POLL_MS = 300


def test_newcomer_registers_is_verified_files_and_follows_a_request_to_its_decision(
        new_page, screenshot, live_server, celery_worker, kz_scenario, legal_reviewer, mailoutbox):
    staff = user_in_role("staff_dana", roles.PLATFORM_STAFF)
    first, second = harmless_posts(2)
    reporter = new_page()

    # given: a newcomer on the landing page
    reporter.goto(live_server.url + "/")
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Content Reporting System")
    expect(reporter.get_by_text("No exclusive, priority or trusted access.")).to_be_visible()
    assert_accessible_basics(reporter)
    screenshot(reporter, "01-landing")
    reporter.keyboard.press("Tab")
    expect(reporter.locator(":focus")).to_have_text("Skip to content")

    # when: they register for the Ministry of Information
    reporter.get_by_role("link", name="Register as a government reporter").click()
    reporter.get_by_label("Username").fill("aliya.n")
    reporter.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    reporter.get_by_label("Password again").fill(NEW_PASSWORD)
    reporter.get_by_label("Official title").fill("Chief specialist, Department of Information Policy")
    reporter.get_by_label("Work e-mail").fill("a.nurlanova@misd.gov.example")
    reporter.get_by_label("Agency", exact=True).select_option("kz-misd")
    assert_accessible_basics(reporter)
    screenshot(reporter, "02-register")
    reporter.get_by_role("button", name="Register").click()

    # then: the account exists, pending, and the site says what happens next
    expect(reporter.get_by_role("heading", name="Waiting for verification")).to_be_visible()
    account = ReporterAccount.objects.get(user__username="aliya.n")
    assert (account.verification, account.agency.code) == (ReporterAccount.Verification.PENDING, "kz-misd")
    screenshot(reporter, "03-dashboard-pending")

    # when: platform staff verify the account in the admin
    admin = new_page()
    admin.goto(f"{live_server.url}/admin/login/?next=/admin/")
    admin.get_by_label("Username").fill(staff.username)
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.goto(f"{live_server.url}/admin/reports/reporteraccount/?verification__exact=pending")
    screenshot(admin, "04-admin-pending-accounts")
    admin.get_by_role("link", name="aliya.n").click()
    admin.get_by_role("link", name="Verify this account…").click()
    screenshot(admin, "05-admin-verify")
    admin.get_by_role("button", name="Yes, verify this account").click()
    expect(admin.get_by_text("Verified: aliya.n can now file requests")).to_be_visible()

    # then: verified, audited and e-mailed
    account.refresh_from_db()
    assert (account.verification, account.verified_by) == (ReporterAccount.Verification.VERIFIED, staff)
    assert [m.subject for m in mailoutbox] == ["Your CRS reporter account is verified"]
    assert mailoutbox[0].to == ["a.nurlanova@misd.gov.example"]

    # when: the reporter comes back, browses the platform and reports two posts
    reporter.reload()
    expect(reporter.get_by_role("heading", name="Waiting for verification")).to_have_count(0)
    reporter.get_by_role("link", name="Platform", exact=True).click()
    reporter.get_by_label("Country").select_option("KZ")
    reporter.get_by_label("Author").select_option("ordinary_user")
    reporter.get_by_role("button", name="Show posts").click()
    assert_accessible_basics(reporter)
    screenshot(reporter, "06-platform")
    for code in (first, second):
        reporter.locator(f"#post-{code}").get_by_role("button", name=re.compile("^Report post")).click()
        expect(reporter.locator(f"#post-{code}")).to_contain_text("In your draft")
    expect(reporter.locator("#draft-status")).to_contain_text("has 2 posts")
    screenshot(reporter, "07-platform-reported")

    # and files them with the legal basis, a court order and a PDF
    reporter.get_by_role("link", name="Continue to the request form").click()
    reporter.get_by_label("Reason category").select_option("hate_speech")
    reporter.get_by_role("checkbox", name=re.compile("^KZ-CC-174")).check()
    reporter.get_by_role("radio", name="Restrict in the requester's jurisdiction").check()
    reporter.get_by_label("Justification").fill(JUSTIFICATION)
    reporter.get_by_label("Court", exact=True).fill("Medeu District Court of Almaty")
    reporter.get_by_label("Case number").fill("2-1187/2021")
    reporter.get_by_label("Date of the order").fill("2021-10-28")
    reporter.get_by_label("Evidence file").set_input_files(
        files=[{"name": "court-order.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    reporter.get_by_label("This file is").select_option("court_order")
    assert_accessible_basics(reporter)
    screenshot(reporter, "08-draft-form")
    reporter.get_by_role("button", name="Review before sending").click()
    expect(reporter.get_by_role("heading", level=1)).to_contain_text("Review request")
    expect(reporter.get_by_role("link", name="court-order.pdf")).to_be_visible()
    screenshot(reporter, "09-review")
    reporter.get_by_role("button", name="Send the request to the platform").click()

    # then: the request page follows screening into a queue by itself
    request = TakedownRequest.objects.get(submitted_by=account.user)
    expect(reporter.get_by_role("heading", level=1)).to_have_text(f"Request {request.reference}")
    screenshot(reporter, "10-request-submitted")
    reporter.evaluate("window.notReloaded = true")
    expect(status_of(reporter)).to_have_attribute("data-status", "queued", timeout=30_000)
    expect(reporter.locator("#request-queue")).to_contain_text("Local law, position 1")
    expect(reporter.get_by_text("Check: Local law")).to_be_visible()
    assert reporter.evaluate("window.notReloaded") is True
    assert_accessible_basics(reporter)
    screenshot(reporter, "11-request-queued")
    request.refresh_from_db()
    assert (request.status, request.queue, request.evidence.get().kind) == (Status.QUEUED, "legal", "court_order")

    # when: a reviewer asks for information
    request_claim(reviewer=legal_reviewer, request=request)
    request_ask_info(reviewer=legal_reviewer, request=request,
                     message="Which statements in the posts does the court order name?")

    # then: the page shows the question by itself, and the reporter answers it
    expect(status_of(reporter)).to_have_attribute("data-status", "needs_info")
    expect(reporter.locator("blockquote.asked")).to_contain_text("Which statements in the posts")
    screenshot(reporter, "12-request-needs-info")
    reporter.get_by_label("Your answer").fill("The order names the second sentence of each post.")
    reporter.get_by_text("Correct the request as well (optional)").click()
    reporter.get_by_label("Justification", exact=True).fill(
        JUSTIFICATION + " The order names the second sentence of each post.")
    with reporter.expect_navigation():
        reporter.get_by_role("button", name="Send your answer").click()
    reporter.evaluate("window.notReloaded = true")
    assert request.messages.get(kind=RequestMessage.Kind.INFO_RESPONSE).body == (
        "The order names the second sentence of each post.")
    expect(status_of(reporter)).to_have_attribute("data-status", "queued", timeout=30_000)

    # when: the reviewer decides each item
    request.refresh_from_db()
    assert request.justification.endswith("second sentence of each post.")
    request_claim(reviewer=legal_reviewer, request=request)
    first_item, second_item = request.items.order_by("position")
    item_decide(reviewer=legal_reviewer, item=first_item, action=Decision.Action.RESTRICT_IN_JURISDICTION,
                reason_code=Decision.Reason.UNLAWFUL_LOCALLY,
                rationale="The court order covers this post and the restriction is limited to Kazakhstan.")
    item_decide(reviewer=legal_reviewer, item=second_item, action=Decision.Action.NO_ACTION,
                reason_code=Decision.Reason.NOT_UNLAWFUL,
                rationale="This post criticises a policy and names no group; it is not shown to be unlawful.")

    # then: the decision and its reasons appear without a reload
    expect(status_of(reporter)).to_have_attribute("data-status", "decided")
    expect(reporter.locator("#request-outcome")).to_have_text("Action on some items")
    expect(reporter.locator("#item-1")).to_contain_text("the restriction is limited to Kazakhstan")
    expect(reporter.locator("#item-2")).to_contain_text("it is not shown to be unlawful")
    expect(reporter.locator(".timeline")).to_contain_text("Information requested")
    assert reporter.evaluate("window.notReloaded") is True
    screenshot(reporter, "13-request-decided")

    # and the evidence downloads for the agency's reporter
    with reporter.expect_download() as download:
        reporter.get_by_role("link", name="court-order.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF

    # and the page reads well at phone width
    phone = new_page(viewport=PHONE, storage_state=reporter.context.storage_state())
    phone.goto(f"{live_server.url}/portal/requests/{request.reference}/")
    assert phone.evaluate(FITS_PHONE)
    screenshot(phone, "14-request-phone")
    phone.goto(f"{live_server.url}/portal/")
    assert phone.evaluate(FITS_PHONE)
    screenshot(phone, "15-dashboard-phone")

    # when: the reporter asks for reconsideration
    reporter.get_by_label("Why the decision should be reconsidered").fill(
        "The second post repeats the first one's call almost word for word.")
    reporter.get_by_role("button", name="Ask for reconsideration").click()

    # then: the request is back in its queue for a second look
    expect(reporter.get_by_text("Your request for reconsideration is sent.")).to_be_visible()
    expect(status_of(reporter)).to_have_attribute("data-status", "queued")
    request.refresh_from_db()
    assert (request.status, request.review_round) == (Status.QUEUED, 2)

    # and the dashboard lists it with its place in the queue
    reporter.get_by_role("link", name="My requests").click()
    expect(reporter.locator("table.requests")).to_contain_text(request.reference)
    expect(reporter.locator("table.requests")).to_contain_text("Local law queue, position 1")
    screenshot(reporter, "16-dashboard")
    assert reporter.console_errors == []  # no script errors and no CSP violations on any page
    assert [e for e in admin.console_errors if "Content Security Policy" in e] == []


def test_core_filing_works_with_javascript_disabled(new_page, screenshot, live_server, celery_worker, kz_reporter):
    kz_reporter.user.set_password(PASSWORD)
    kz_reporter.user.save()
    (code,) = harmless_posts(1)
    page = new_page(javascript=False)

    # given: a verified reporter, logged in, without JavaScript
    log_in(page, live_server, "kz_reporter", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ministry of Information and Social Development")

    # when: they report a post and open the draft
    page.goto(f"{live_server.url}/platform/?country=KZ&persona=ordinary_user")
    page.locator(f"#post-{code}").get_by_role("button", name=re.compile("^Report post")).focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#post-{code}")).to_contain_text("In your draft")
    page.get_by_role("link", name="Continue to the request form").click()

    # and, typing only, send the form with a post id that does not exist (Enter in a text box saves the draft)
    page.get_by_label("Reason category").select_option("hate_speech")
    page.get_by_role("checkbox", name=re.compile("^KZ-CC-174")).check()
    page.get_by_label("Justification").fill(JUSTIFICATION)
    page.get_by_label("Add a post by its id or URL").fill("kz-9999")
    page.get_by_label("Add a post by its id or URL").press("Enter")

    # then: the error is next to the field and nothing typed is lost
    expect(page.locator("#id_add_item_error")).to_have_text("No content with id 'kz-9999' on the platform.")
    expect(page.get_by_label("Justification")).to_have_value(JUSTIFICATION)
    expect(page.get_by_label("Add a post by its id or URL")).to_have_value("kz-9999")
    expect(page.get_by_role("checkbox", name=re.compile("^KZ-CC-174"))).to_be_checked()
    expect(page.locator(".error-summary")).to_be_focused()
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    screenshot(page, "20-nojs-field-error")

    # when: they fix it, attach a PDF, review and send
    page.get_by_label("Add a post by its id or URL").fill("")
    page.get_by_role("radio", name="Restrict in the requester's jurisdiction").check()
    page.get_by_label("Court", exact=True).fill("Medeu District Court of Almaty")
    page.get_by_label("Case number").fill("2-1188/2021")
    page.get_by_label("Evidence file").set_input_files(
        files=[{"name": "screenshot-evidence.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Review before sending").click()
    expect(page.get_by_role("link", name="screenshot-evidence.pdf")).to_be_visible()
    page.get_by_role("button", name="Send the request to the platform").click()

    # then: the request is filed, and a reload shows it queued
    request = TakedownRequest.objects.get(submitted_by=kz_reporter.user)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {request.reference}")
    assert Evidence.objects.filter(request=request).count() == 1
    wait_until(lambda: TakedownRequest.objects.filter(pk=request.pk, status=Status.QUEUED).exists(),
               message="screening to queue the request")
    page.reload()
    expect(status_of(page)).to_have_attribute("data-status", "queued")
    screenshot(page, "21-nojs-request-queued")

    # and withdrawing works as a plain form too
    page.get_by_text("Withdraw this request").click()
    page.get_by_label("Reason (optional)").fill("Filed by mistake.")
    page.get_by_role("button", name="Withdraw the request").click()
    expect(status_of(page)).to_have_attribute("data-status", "withdrawn")
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN
