"""The dashboard: the agency's requests with where each one is, filtered, searched, counted and paged."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reports.models import Status
from tests.builders import filed, screened

pytestmark = pytest.mark.django_db


@pytest.fixture
def reporter_client(client, kz_reporter):
    client.force_login(kz_reporter.user)
    return client


def rows(response) -> list[str]:
    """The references listed, in order."""
    return re.findall(r'<th scope="row" data-label="Reference"><a href="[^"]+">(CRS-[0-9-]+)</a>',
                      response.content.decode())


def test_the_dashboard_lists_the_agencys_requests_only_with_where_each_one_is(
        reporter_client, kz_reporter, kz_colleague, kz_prosecutor, harmless_content_code):
    mine = screened(filed(kz_reporter, harmless_content_code))
    colleagues = filed(kz_colleague, harmless_content_code, legal_basis=[], justification="",
                              requested_action="", court_order=None)
    screened(colleagues)
    theirs = screened(filed(kz_prosecutor, harmless_content_code))

    response = reporter_client.get(reverse("portal:dashboard"))

    assert set(rows(response)) == {mine.reference, colleagues.reference}
    assert theirs.reference not in response.content.decode()
    html = response.content.decode()
    assert "Local law queue, position 1" in html
    assert "<strong>Waiting for your answer</strong>" in html


def test_counts_by_status_link_to_the_filtered_list(reporter_client, kz_reporter, harmless_content_code):
    queued = [screened(filed(kz_reporter, harmless_content_code)) for _ in range(2)]
    submitted = filed(kz_reporter, harmless_content_code)

    response = reporter_client.get(reverse("portal:dashboard"))
    filtered = reporter_client.get(reverse("portal:dashboard"), {"status": Status.QUEUED})

    html = " ".join(response.content.decode().split())
    assert '<span class="count">3</span> All' in html
    assert '<a href="?status=queued"><span class="count">2</span> Queued</a>' in html
    assert '<a href="?status=submitted"><span class="count">1</span> Submitted</a>' in html
    assert set(rows(filtered)) == {r.reference for r in queued}
    assert submitted.reference not in rows(filtered)


def test_filter_by_category_and_search_by_reference_post_or_text(reporter_client, kz_reporter,
                                                                 harmless_content_code):
    hate = filed(kz_reporter, harmless_content_code)
    other = filed(kz_reporter, "kz-0001", category="false_information", legal_basis=["KZ-CC-274"],
                         justification="A fabricated claim about a ministry's budget.")
    dashboard = reverse("portal:dashboard")

    assert rows(reporter_client.get(dashboard, {"category": "false_information"})) == [other.reference]
    assert rows(reporter_client.get(dashboard, {"q": hate.reference})) == [hate.reference]
    assert rows(reporter_client.get(dashboard, {"q": "fabricated claim"})) == [other.reference]
    assert rows(reporter_client.get(dashboard, {"q": "kz-0001"})) == [other.reference]
    none = reporter_client.get(dashboard, {"q": "nothing like this"})
    assert rows(none) == [] and b"No request matches this filter." in none.content


def test_the_list_is_paged_and_keeps_the_filter_across_pages(reporter_client, kz_reporter, harmless_content_code):
    for _ in range(27):
        filed(kz_reporter, harmless_content_code)

    first = reporter_client.get(reverse("portal:dashboard"), {"status": "submitted"})
    second = reporter_client.get(reverse("portal:dashboard"), {"status": "submitted", "page": 2})

    assert len(rows(first)) == 25 and len(rows(second)) == 2
    assert set(rows(first)).isdisjoint(rows(second))
    assert 'href="?status=submitted&amp;page=2"' in first.content.decode()
    assert b"27 requests matching your filter, page 1 of 2" in first.content


def test_the_dashboard_issues_as_many_queries_for_thirteen_requests_as_for_three(
        reporter_client, kz_reporter, harmless_content_code):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            reporter_client.get(reverse("portal:dashboard"))
        return len(captured)

    for _ in range(3):
        screened(filed(kz_reporter, harmless_content_code))
    few = queries()
    for _ in range(10):
        screened(filed(kz_reporter, harmless_content_code))

    assert queries() == few


def test_the_dashboard_reads_a_fixed_number_of_queries_however_many_requests_the_agency_has(
        reporter_client, kz_reporter, harmless_content_code):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_with(total: int) -> int:
        while kz_reporter.agency.requests.count() < total:
            screened(filed(kz_reporter, harmless_content_code))
        with CaptureQueriesContext(connection) as captured:
            assert reporter_client.get(reverse("portal:dashboard")).status_code == 200
        return len(captured)

    assert queries_with(2) == queries_with(30)
