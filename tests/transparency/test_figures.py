"""The transparency report's figures on a data set built to known answers, through the selector and the API."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reports.models import Category, Exercise, Status, TakedownRequest
from reports.tenancy import exercise_default
from tests.transparency.request_log import agency, at, filed
from transparency.figures import (
    Period,
    _medians,
    _medians_postgresql,
    available_periods,
    default_period,
    transparency_report,
)

API = "/api/v1/transparency/"


def decided(agency_, submitted: str, days: float, decisions: list[str], **fields):
    start = at(submitted)
    outcome = "none" if set(decisions) == {"no_action"} else (
        "full" if "no_action" not in decisions else "partial")
    return filed(agency_, submitted_at=start, status=Status.DECIDED, outcome=outcome,
                 decided_at=start + timedelta(days=days), items=len(decisions), decisions=decisions, **fields)


@pytest.fixture
def dataset(db):
    """Seven requests of 2021-H2 in two countries, plus requests the report must leave out."""
    misd, court = agency("kz-misd", "KZ"), agency("kz-court", "KZ", authority_type="court")
    bnetza = agency("de-bnetza", "DE", authority_type="regulator")
    # Kazakhstan: 5 requests, 9 items
    decided(misd, "2021-07-05 00:00", 2, ["restrict_in_jurisdiction", "no_action"], category="hate_speech",
            court_order=True)
    decided(misd, "2021-08-10 00:00", 4, ["no_action"], category="government_criticism",
            requested_action="remove_globally")
    decided(court, "2021-09-01 00:00", 10, ["remove_globally", "restrict_in_jurisdiction", "restrict_in_jurisdiction"],
            category="government_criticism", court_order=True)
    filed(misd, submitted_at=at("2021-10-01 00:00"), category="false_information", requested_action="")
    reconsidered = filed(misd, submitted_at=at("2021-12-31 23:59:59"), category="hate_speech", items=2,
                         decisions=["restrict_in_jurisdiction", "restrict_in_jurisdiction"])
    TakedownRequest.objects.filter(pk=reconsidered.pk).update(review_round=2)  # reconsideration: round 2 undecided
    # Germany: 2 requests, 2 items
    decided(bnetza, "2021-07-15 00:00", 1.5, ["restrict_in_jurisdiction"], category="hate_speech", court_order=True)
    decided(bnetza, "2021-11-20 00:00", 3, ["no_action"], category="defamation")
    # Left out: other half-years, another exercise, a draft
    decided(misd, "2021-06-30 23:59:59", 1, ["remove_globally"], category="violence")
    filed(bnetza, submitted_at=at("2022-01-01 00:00"), category="copyright")
    filed(misd, submitted_at=at("2021-08-01 00:00"), exercise=Exercise.objects.create(slug="other", name="Other"))
    draft = filed(misd, submitted_at=at("2021-08-01 00:00"), status=Status.DRAFT)
    TakedownRequest.objects.filter(pk=draft.pk).update(submitted_at=None)


# Appeals are counted from the appeal records; tests/reports/test_appeals.py files and decides some.
NO_APPEALS = {"filed": 0, "pending": 0, "upheld": 0, "reversed": 0, "content_restored": 0}


def categories(**counts) -> dict[str, int]:
    return {code: counts.get(code, 0) for code in Category.values}


KZ = {
    "code": "KZ", "name": "Country KZ", "requests": 5, "items": 9,
    "by_category": categories(hate_speech=2, government_criticism=2, false_information=1),
    "by_requested_action": {"remove_globally": 1, "restrict_in_jurisdiction": 3, "unspecified": 1},
    "outcomes": {"removed_policy_violation": 1, "restricted_locally": 3, "no_action": 2, "pending": 3},
    "with_court_order": 2, "court_order_share": 0.4, "decided": 3, "median_days_to_decision": 4.0,
    "appeals": NO_APPEALS,
}
DE = {
    "code": "DE", "name": "Country DE", "requests": 2, "items": 2,
    "by_category": categories(hate_speech=1, defamation=1),
    "by_requested_action": {"remove_globally": 0, "restrict_in_jurisdiction": 2, "unspecified": 0},
    "outcomes": {"removed_policy_violation": 0, "restricted_locally": 1, "no_action": 1, "pending": 0},
    "with_court_order": 1, "court_order_share": 0.5, "decided": 2, "median_days_to_decision": 2.25,
    "appeals": NO_APPEALS,
}
TOTALS = {
    "requests": 7, "items": 11,
    "by_category": categories(hate_speech=3, government_criticism=2, false_information=1, defamation=1),
    "by_requested_action": {"remove_globally": 1, "restrict_in_jurisdiction": 5, "unspecified": 1},
    "outcomes": {"removed_policy_violation": 1, "restricted_locally": 4, "no_action": 3, "pending": 3},
    "with_court_order": 3, "court_order_share": 0.4286, "decided": 5, "median_days_to_decision": 3.0,
    "appeals": NO_APPEALS,
}


def test_the_report_gives_exact_figures_per_country_and_in_total(dataset):
    report = transparency_report(exercise=exercise_default(), period=Period.parse("2021-H2"))

    assert report == {"period": "2021-H2", "label": "July–December 2021", "start": "2021-07-01",
                      "end": "2021-12-31", "totals": TOTALS, "jurisdictions": [KZ, DE]}


def test_the_report_reads_a_fixed_number_of_aggregate_queries(dataset, django_assert_num_queries):
    exercise = exercise_default()

    # grouped requests with their kept item and outcome counts, their agencies' countries and names,
    # the medians per country and in total (one statement), appeals
    with django_assert_num_queries(4):
        transparency_report(exercise=exercise, period=Period.parse("2021-H2"))


def test_a_country_alone(dataset):
    report = transparency_report(exercise=exercise_default(), period=Period.parse("2021-H2"), jurisdiction="DE")

    assert report["jurisdictions"] == [DE]
    assert report["totals"] == {key: value for key, value in DE.items() if key not in ("code", "name")}


def test_another_half_year_counts_only_its_own_requests(dataset):
    report = transparency_report(exercise=exercise_default(), period=Period.parse("2021-H1"))

    assert [(row["code"], row["requests"], row["outcomes"]["removed_policy_violation"],
             row["median_days_to_decision"]) for row in report["jurisdictions"]] == [("KZ", 1, 1, 1.0)]


def test_a_half_year_without_requests_is_all_zeros(dataset):
    report = transparency_report(exercise=exercise_default(), period=Period.parse("2019-H1"))

    assert report["jurisdictions"] == []
    assert (report["totals"]["requests"], report["totals"]["court_order_share"],
            report["totals"]["median_days_to_decision"]) == (0, None, None)


def test_periods_run_from_the_first_submission_to_the_last(dataset):
    exercise = exercise_default()

    assert [p.code for p in available_periods(exercise=exercise)] == ["2022-H1", "2021-H2", "2021-H1"]
    assert default_period(exercise=exercise).code == "2022-H1"


@pytest.mark.parametrize(("code", "start", "end"), [
    ("2021-H1", "2021-01-01T00:00:00+00:00", "2021-07-01T00:00:00+00:00"),
    ("2021-h2", "2021-07-01T00:00:00+00:00", "2022-01-01T00:00:00+00:00"),
])
def test_a_period_is_a_half_open_half_year_in_utc(code, start, end):
    period = Period.parse(code)

    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


# --- The API -------------------------------------------------------------------------------------

def test_anyone_reads_the_figures_as_json_without_an_account(dataset):
    response = APIClient().get(f"{API}?period=2021-H2")

    assert response.status_code == 200
    assert response.json() == {"period": "2021-H2", "label": "July–December 2021", "start": "2021-07-01",
                               "end": "2021-12-31", "totals": TOTALS, "jurisdictions": [KZ, DE]}


def test_the_figures_as_csv_one_row_per_country_and_one_for_all(dataset):
    response = APIClient().get(f"{API}?period=2021-H2&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["jurisdiction"] for row in rows] == ["KZ", "DE", "ALL"]
    kz, _, everything = rows
    assert {key: kz[key] for key in ("period", "requests", "items", "with_court_order", "court_order_share",
                                     "decided", "median_days_to_decision", "outcome_removed_policy_violation",
                                     "outcome_restricted_locally", "outcome_no_action", "outcome_pending",
                                     "requested_action_unspecified", "category_government_criticism",
                                     "category_violence")} == {
        "period": "2021-H2", "requests": "5", "items": "9", "with_court_order": "2", "court_order_share": "0.4",
        "decided": "3", "median_days_to_decision": "4.0", "outcome_removed_policy_violation": "1",
        "outcome_restricted_locally": "3", "outcome_no_action": "2", "outcome_pending": "3",
        "requested_action_unspecified": "1", "category_government_criticism": "2", "category_violence": "0"}
    assert (everything["requests"], everything["court_order_share"], everything["median_days_to_decision"]) == (
        "7", "0.4286", "3.0")


def test_the_api_narrows_to_one_country(dataset):
    body = APIClient().get(f"{API}?period=2021-H2&jurisdiction=de").json()

    assert body["jurisdictions"] == [DE]


def test_without_a_period_the_latest_half_year_is_reported(dataset):
    body = APIClient().get(API).json()

    assert (body["period"], body["totals"]["requests"]) == ("2022-H1", 1)


@pytest.mark.parametrize(("query", "fields"), [
    ("period=2021-H3", {"period": ["Use a half-year between 2000 and 2100 in the form YYYY-H1 or YYYY-H2, "
                                   "e.g. 2021-H2."]}),
    ("period=1999-H1", {"period": ["Use a half-year between 2000 and 2100 in the form YYYY-H1 or YYYY-H2, "
                                   "e.g. 2021-H2."]}),
    ("period=2021-H2&jurisdiction=KAZ", {"jurisdiction": ["Use an ISO 3166-1 alpha-2 code, e.g. KZ."]}),
    ("period=2021-H2&format=xml", {"format": ["Use json or csv."]}),
])
def test_bad_parameters_are_refused_field_by_field(dataset, query, fields):
    response = APIClient().get(f"{API}?{query}")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "The request has invalid fields.", "fields": fields}


def test_the_figures_are_throttled_per_address(dataset, monkeypatch):
    from django.core.cache import cache

    from transparency.api import TransparencyThrottle

    cache.clear()
    monkeypatch.setattr(TransparencyThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    client = APIClient()

    statuses = [client.get(f"{API}?period=2021-H2").status_code for _ in range(3)]
    cache.clear()

    assert statuses == [200, 200, 429]


def test_a_cached_report_is_reused_until_the_record_changes(dataset, django_assert_num_queries):
    from audit import events
    from transparency.figures import transparency_report_cached

    exercise, period = exercise_default(), Period.parse("2021-H2")
    first = transparency_report_cached(exercise=exercise, period=period)

    with django_assert_num_queries(1):  # the record's stamp, and nothing else
        again = transparency_report_cached(exercise=exercise, period=period)
    request = TakedownRequest.objects.get(agency__code="de-bnetza", category="defamation",
                                          submitted_at__range=(period.start, period.end))
    TakedownRequest.objects.filter(pk=request.pk).update(category="violence")
    events.request_closed_event(request=request, reason="the change is recorded, as every change is")
    changed = transparency_report_cached(exercise=exercise, period=period)

    assert again == first
    assert changed["totals"]["by_category"]["violence"] == 1
    assert changed == transparency_report(exercise=exercise, period=period)


def test_postgresqls_single_pass_medians_equal_one_median_per_jurisdiction(db):
    if connection.vendor != "postgresql":
        pytest.skip("the single pass with GROUPING SETS is PostgreSQL's")
    chance = random.Random(18)
    agencies = {"KZ": [agency("kz-a", "KZ"), agency("kz-b", "KZ")], "DE": [agency("de-a", "DE")]}
    for agencies_of in agencies.values():
        for agency_ in agencies_of:
            for _ in range(chance.randint(4, 9)):  # odd and even counts: a middle value, or the mean of two
                start = at(f"2021-{chance.randint(7, 12):02d}-{chance.randint(1, 28):02d} 00:00")
                filed(agency_, submitted_at=start, status=Status.DECIDED, outcome="none", decisions=["no_action"],
                      decided_at=start + timedelta(seconds=chance.randint(1, 40 * 86_400),
                                                   microseconds=chance.randint(0, 999_999)))
    period, exercise = Period.parse("2021-H2"), exercise_default()
    ids = {code: sorted(agency_.pk for agency_ in agencies_of) for code, agencies_of in sorted(agencies.items())}
    decided_requests = TakedownRequest.objects.filter(exercise=exercise, submitted_at__gte=period.start,
                                                      submitted_at__lt=period.end, decided_at__isnull=False)

    single_pass = _medians_postgresql(exercise=exercise, period=period, agencies=ids)

    assert set(single_pass) == {"KZ", "DE", None}
    assert single_pass == _medians(decided_requests, ids)


def test_every_column_the_requests_figures_read_is_in_their_index(dataset):
    # The half-year's figures stay quick at a million requests because one covering index holds every
    # column the per-agency aggregate reads (an index-only scan): one column outside it reads the table.
    with CaptureQueriesContext(connection) as statements:
        transparency_report(exercise=exercise_default(), period=Period.parse("2021-H2"))
    aggregate = next(query["sql"] for query in statements.captured_queries
                     if "GROUP BY" in query["sql"] and "item_count" in query["sql"])
    table = connection.ops.quote_name(TakedownRequest._meta.db_table)
    read = set(re.findall(re.escape(table) + r'\."(\w+)"', aggregate))
    index = next(index for index in TakedownRequest._meta.indexes if index.name == "request_transparency_figures")
    covered = {TakedownRequest._meta.get_field(name).column for name in (*index.fields, *index.include)}

    assert read, aggregate
    assert read <= covered, read - covered
