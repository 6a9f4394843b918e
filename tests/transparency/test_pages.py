"""The public transparency pages: server-drawn SVG charts under the CSP, a period selector, a drill-down."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.template import engines

from reports.models import Status
from tests.transparency.request_log import agency, at, filed
from transparency import charts

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def figures(db):
    misd, bnetza = agency("kz-misd", "KZ"), agency("de-bnetza", "DE")
    for day, decisions in ((1, ["remove_globally"]), (2, ["restrict_in_jurisdiction", "no_action"]), (3, [])):
        filed(misd, submitted_at=at(f"2021-08-0{day} 10:00"), items=max(len(decisions), 1), decisions=decisions,
              status=Status.DECIDED if decisions else Status.QUEUED,
              decided_at=at(f"2021-08-0{day} 10:00") + timedelta(days=2) if decisions else None,
              court_order=day == 1)
    filed(bnetza, submitted_at=at("2021-09-01 10:00"), category="defamation")
    filed(bnetza, submitted_at=at("2020-02-01 10:00"), category="defamation")


def svg_rects(html: str) -> list[str]:
    return re.findall(r"<rect [^>]*>", html)


def test_the_public_page_draws_the_period_with_inline_svg_and_no_inline_style(client, figures):
    response = client.get("/transparency/?period=2021-H2")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    assert "<svg" in html and "<script" not in html and "style=" not in html
    assert '<option value="2021-H2" selected>' in html
    assert re.findall(r'<option value="([^"]+)"', html) == [
        "2021-H2", "2021-H1", "2020-H2", "2020-H1"]
    # the requests chart: one bar per country, the longest for the most requests
    plot = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH
    bars = re.findall(rf'<rect class="bar" x="{charts.LABEL_WIDTH}" y="[\d.]+" width="([\d.]+)"', html)
    assert [float(width) for width in bars[:2]] == [plot, round(1 / 3 * plot, 1)]
    assert '<rect class="seg seg-removed_policy_violation"' in html
    assert 'href="/transparency/KZ/?period=2021-H2"' in html
    assert 'href="/api/v1/transparency/?period=2021-H2&amp;format=csv"' in html


def test_the_page_shows_the_figures_in_a_table_too(client, figures):
    html = client.get("/transparency/?period=2021-H2").content.decode()

    row = re.search(r'<tr><th scope="row"><a href="/transparency/KZ/\?period=2021-H2">Country KZ</a>.*?</tr>',
                    html, re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells == ["3", "4", "1", "1", "1", "1", "1 (33 %)", "2.0", "0 (0)"]


def test_a_bad_period_is_explained_and_the_latest_shown(client, figures):
    html = client.get("/transparency/?period=2021-Q4").content.decode()

    assert "Use a half-year between 2000 and 2100 in the form YYYY-H1 or YYYY-H2, e.g. 2021-H2." in html
    assert '<option value="2021-H2" selected>' in html


def test_a_country_page_drills_down_with_its_own_charts_and_trend(client, figures):
    response = client.get("/transparency/DE/?period=2021-H2")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Country DE" in html and "style=" not in html
    assert "Requests per half-year" in html
    # the trend: every half-year from the first request to the last, each a link, the one on show highlighted
    trend = html[html.index("Requests per half-year"):]
    assert re.findall(r'<a href="/transparency/DE/\?period=([^"]+)"><text', trend) == [
        "2020-H1", "2020-H2", "2021-H1", "2021-H2"]
    assert re.findall(r'<text class="value" [^>]*>(\d+)</text>', trend) == ["1", "0", "0", "1"]
    assert len(re.findall(r'<rect class="bar current"', trend)) == 1
    assert "<caption>Requests by reason category</caption>" in html
    assert '<tr><th scope="row">Defamation</th><td>1</td></tr>' in html


def test_a_country_page_for_an_unknown_country_is_not_found(client, figures):
    assert client.get("/transparency/ZZ/").status_code == 404


def test_a_country_without_requests_in_the_period_says_so(client, figures):
    html = client.get("/transparency/DE/?period=2021-H1").content.decode()

    assert "No requests from Country DE were submitted in this period." in html


def test_the_log_status_slot_renders_nothing_until_filled(client, figures):
    response = client.get("/transparency/?period=2021-H2")
    page = response.content.decode()
    filled = engines["django"].from_string(
        '{% extends "transparency/transparency.html" %}{% block log_status %}<p id="log">checkpoint</p>{% endblock %}'
    ).render(response.context[0].flatten(), response.wsgi_request)

    assert 'id="log"' not in page
    assert '<p id="log">checkpoint</p>' in filled


@pytest.mark.browser
def test_the_charts_render_in_a_browser_without_csp_violations(live_server, figures, new_page):
    page = new_page()
    page.goto(f"{live_server.url}/transparency/?period=2021-H2")
    Path("test-artifacts/screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path="test-artifacts/screenshots/transparency-2021-H2.png", full_page=True)
    fill = page.eval_on_selector("rect.bar", "el => getComputedStyle(el).fill")
    removed = page.eval_on_selector("rect.seg-removed_policy_violation", "el => getComputedStyle(el).fill")
    page.select_option("#period", "2020-H1")
    page.click("text=Show")
    page.wait_for_url("**/transparency/?period=2020-H1")
    page.screenshot(path="test-artifacts/screenshots/transparency-2020-H1.png", full_page=True)
    page.click("text=Country DE")
    page.wait_for_url("**/transparency/DE/?period=2020-H1")
    heading = page.text_content("h1")
    page.screenshot(path="test-artifacts/screenshots/transparency-DE.png", full_page=True)
    problems = page.console_errors

    assert fill == "rgb(31, 79, 153)" and removed == "rgb(161, 29, 29)"
    assert "Country DE" in heading
    assert problems == []
