"""Once the instructor closes the exercise, every page says so and offers nothing that would be refused."""

from __future__ import annotations

import pytest

from classroom.services import exercise_close
from filing.services import draft_add_content
from reports.models import ReporterAccount, TakedownRequest
from tests.reading import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(restricted):
    """A decided request, the author's notice not yet appealed, a draft left half-done; then the class ends."""
    reporter = ReporterAccount.objects.get(user=restricted.reporter)
    other = restricted.exercise.content_items.exclude(pk=restricted.post.pk).order_by("code").first()
    restricted.draft = draft_add_content(reporter=reporter, content=other)
    exercise_close(instructor=restricted.instructor, exercise=restricted.exercise)
    return restricted


def test_every_page_of_a_closed_exercise_says_it_is_closed(client_for, closed):
    request_page = f"/portal/requests/{closed.request.reference}/"
    for user, path in [(closed.reporter, "/portal/"), (closed.reporter, "/platform/"),
                       (closed.author, "/platform/"), (closed.reporter, request_page)]:
        text = visible_text(client_for(user).get(path).content.decode())
        assert "The exercise Seminar 3 is closed" in text, path


def test_a_reporter_of_a_closed_exercise_is_offered_no_report_draft_or_new_request(client_for, closed):
    page = client_for(closed.reporter)

    platform = page.get("/platform/").content.decode()
    dashboard = page.get("/portal/").content.decode()

    assert ">Report</button>" not in platform and "Continue to the request form" not in platform
    assert "Start a new request" not in dashboard and "Continue the draft" not in dashboard


def test_opening_a_draft_of_a_closed_exercise_explains_and_leads_back(client_for, closed):
    response = client_for(closed.reporter).get(f"/portal/requests/{closed.draft.reference}/edit/", follow=True)

    assert response.redirect_chain[-1][0] == "/portal/"
    assert f"The draft {closed.draft.reference} is kept, but the exercise is not open" in visible_text(
        response.content.decode())


def test_a_report_sent_from_a_page_opened_before_the_close_is_refused_in_words(client_for, closed):
    before = TakedownRequest.objects.count()

    response = client_for(closed.reporter).post("/platform/report/", {"content": closed.post.code})

    assert response.status_code == 403
    text = visible_text(response.content.decode())
    assert "This could not be done" in text and "is closed" in text and "Nothing was changed" in text
    assert TakedownRequest.objects.count() == before


def test_the_author_reads_the_notice_but_is_told_appeals_have_ended(client_for, closed):
    html = client_for(closed.author).get(f"/platform/notices/{closed.item.pk}/").content.decode()

    assert "appeals can no longer be filed" in visible_text(html)
    assert "Send the appeal" not in html


def test_the_review_admin_says_the_exercise_is_closed(client_for, closed):
    html = client_for(closed.senior).get("/admin/reports/takedownrequest/").content.decode()

    assert "is closed: every request can be read, but none can be claimed" in visible_text(html)
