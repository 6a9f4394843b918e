"""The public transparency report: per jurisdiction and half-year, as the big platforms publish.

Figures for the requests *submitted* in a half-year (``2021-H2`` is 1 July to 31 December
2021, UTC), per requester jurisdiction:

- ``requests`` and ``items`` (the pieces of content they named);
- ``by_category`` and ``by_requested_action`` (requests);
- ``outcomes`` (items), from the decisions of each request's latest review round:
  removed for a policy violation, restricted locally, no action, or still pending
  (undecided, or being reconsidered);
- ``with_court_order`` and ``court_order_share`` (requests citing a court order);
- ``decided`` and ``median_days_to_decision`` (submission to decision, decided requests only);
- ``appeals``: affected users' appeals on those requests, filed, pending, upheld, reversed,
  and how many reversals restored the content.

Every figure comes from aggregate SQL (GROUP BY) over the whole period: four queries whatever
the number of requests, never a loop over rows. Items and outcomes are summed from the counts
kept on each request row (review/tallies.py), so no query reads items or decisions. The public
page and API read them through ``transparency_report_cached``: the figures are kept until the
record changes (every change to a request writes an audit event in its transaction, so the
newest event id says when).
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DurationField,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractMonth, ExtractYear

from audit.stamps import record_stamp
from reports.errors import InvalidInput
from reports.models import Agency, Appeal, Category, Exercise, RequestedAction, TakedownRequest
from review.models import ItemOutcome
from review.tallies import OUTCOME_OF_TALLY, TALLIES

PERIOD_PATTERN = re.compile(r"^(\d{4})-H([12])$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
OUTCOMES = tuple(ItemOutcome.values)
APPEAL_FIGURES = ("filed", "pending", "upheld", "reversed", "content_restored")
UNSPECIFIED_ACTION = "unspecified"
REQUESTED_ACTIONS = (*RequestedAction.values, UNSPECIFIED_ACTION)
ALL_JURISDICTIONS = "ALL"
SECONDS_PER_DAY = 86_400
# Bounds how stale a cached report can be if two transactions commit out of id order.
CACHE_SECONDS = 60


# --- Periods ---------------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Period:
    year: int
    half: int

    @classmethod
    def parse(cls, code: str) -> Period:
        match = PERIOD_PATTERN.match((code or "").strip().upper())
        if not match or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            raise InvalidInput({"period": [f"Use a half-year between {FIRST_YEAR} and {LAST_YEAR} in the form "
                                           "YYYY-H1 or YYYY-H2, e.g. 2021-H2."]})
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, moment: datetime) -> Period:
        moment = moment.astimezone(UTC)
        return cls(moment.year, 1 if moment.month <= 6 else 2)

    @property
    def code(self) -> str:
        return f"{self.year}-H{self.half}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, 1 if self.half == 1 else 7, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return self.next().start

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @property
    def label(self) -> str:
        return f"{'January–June' if self.half == 1 else 'July–December'} {self.year}"

    def next(self) -> Period:
        return Period(self.year, 2) if self.half == 1 else Period(self.year + 1, 1)

    def __str__(self) -> str:
        return self.code


def _filed(exercise: Exercise) -> QuerySet[TakedownRequest]:
    # Drafts have no submission time, so every range on submitted_at leaves them out.
    return TakedownRequest.objects.filter(exercise=exercise, submitted_at__isnull=False)


def available_periods(*, exercise: Exercise) -> list[Period]:
    """Every half-year from the first submission to the last (two index look-ups), latest first."""
    bounds = _filed(exercise).aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    if bounds["first"] is None:
        return []
    periods, period, last = [], Period.containing(bounds["first"]), Period.containing(bounds["last"])
    while period <= last:
        periods.append(period)
        period = period.next()
    return periods[::-1]


def default_period(*, exercise: Exercise, now: datetime | None = None) -> Period:
    """The latest half-year with requests, or the current one."""
    periods = available_periods(exercise=exercise)
    return periods[0] if periods else Period.containing(now or datetime.now(UTC))


# --- The median, in the database -------------------------------------------------------------

class _SQLiteMedian:
    """SQLite has no median; this aggregate runs inside SQLite's GROUP BY (as percentile_cont(0.5) would)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


class Median(Aggregate):
    """The median of a duration: ``percentile_cont(0.5)`` on PostgreSQL (the mean of the middle two)."""

    name = "Median"
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        connection.connection.create_aggregate("crs_median", 1, _SQLiteMedian)
        return self.as_sql(compiler, connection, function="crs_median", template="%(function)s(%(expressions)s)",
                           **extra_context)


def _days(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / SECONDS_PER_DAY, 2)


# --- The report ------------------------------------------------------------------------------

def _empty_figures() -> dict:
    return {
        "requests": 0,
        "items": 0,
        "by_category": dict.fromkeys(Category.values, 0),
        "by_requested_action": dict.fromkeys(REQUESTED_ACTIONS, 0),
        "outcomes": dict.fromkeys(OUTCOMES, 0),
        "with_court_order": 0,
        "court_order_share": None,
        "decided": 0,
        "median_days_to_decision": None,
        "appeals": dict.fromkeys(APPEAL_FIGURES, 0),
    }


def _finish(figures: dict) -> dict:
    decided_items = sum(figures["outcomes"][key] for key in OUTCOMES if key != ItemOutcome.PENDING.value)
    figures["outcomes"][ItemOutcome.PENDING.value] = figures["items"] - decided_items
    if figures["requests"]:
        figures["court_order_share"] = round(figures["with_court_order"] / figures["requests"], 4)
    return figures


def _medians(decided: QuerySet[TakedownRequest], agencies: dict[str, list[int]]) -> dict[str | None, timedelta]:
    """The median time from submission to decision of each jurisdiction's decided requests (``agencies``
    lists the agencies of each that decided any) and of all of them (under None), in one statement.

    Each median reads its agencies' decided requests only. PostgreSQL has ``_medians_postgresql``,
    which reads them once for all the medians; SQLite and others run this union of one per median.
    """
    duration = F("decided_at") - F("submitted_at")
    everyone = sorted(agency for ids in agencies.values() for agency in ids)
    parts = [decided.filter(agency_id__in=ids).values(code=Value(code, output_field=CharField()))
             .annotate(median=Median(duration)).order_by()
             for code, ids in [*agencies.items(), (None, everyone)]]
    return {row["code"]: row["median"] for row in parts[0].union(*parts[1:], all=True)}


def _medians_postgresql(*, exercise: Exercise, period: Period,
                        agencies: dict[str, list[int]]) -> dict[str | None, timedelta]:
    """``_medians`` in one pass over the index ``request_decision_times``: the decided requests of the
    period, read once for every agency that decided any, and grouped both by jurisdiction and
    altogether (``GROUPING SETS``). The durations are sorted as seconds (double precision), which
    compare several times faster than intervals; a median is exact to the microsecond either way.
    """
    requests_table, agencies_table = TakedownRequest._meta.db_table, Agency._meta.db_table
    # Agencies in jurisdiction order (their index): the requests arrive grouped; only durations are sorted.
    sql = (f"SELECT a.jurisdiction_id, percentile_cont(0.5) WITHIN GROUP "  # noqa: S608 (table names from the models)
           f"(ORDER BY date_part('epoch', r.decided_at - r.submitted_at)) "
           f"FROM {agencies_table} a JOIN {requests_table} r ON r.agency_id = a.id "
           f"WHERE a.id = ANY(%s) AND r.exercise_id = %s AND r.submitted_at >= %s AND r.submitted_at < %s "
           f"AND r.submitted_at IS NOT NULL AND r.decided_at IS NOT NULL "
           f"GROUP BY GROUPING SETS ((a.jurisdiction_id), ())")
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(agency for ids in agencies.values() for agency in ids), exercise.pk,
                             period.start, period.end])
        rows = cursor.fetchall()
    return {code: timedelta(seconds=seconds) for code, seconds in rows if seconds is not None}


def transparency_report(*, exercise: Exercise, period: Period, jurisdiction: str | None = None) -> dict:
    """The period's figures, in total and per jurisdiction (most requests first), from four aggregate queries.

    On PostgreSQL the requests' figures come from one covering index (``request_transparency_figures``:
    the kept counts of the latest round and the court order, as columns the database computes) rather
    than the table, and the medians from another (``request_decision_times``). A period
    without requests costs one query.
    """
    requests = _filed(exercise).filter(submitted_at__gte=period.start, submitted_at__lt=period.end)
    if jurisdiction:
        requests = requests.filter(agency__jurisdiction_id=jurisdiction)

    per: dict[str, dict] = defaultdict(_empty_figures)
    totals = _empty_figures()
    kept = {tally: Sum(f"latest_{tally}") for tally in TALLIES}
    # By agency, not jurisdiction: no join, and the medians below need each jurisdiction's agencies.
    groups = list(requests.values("agency_id", "category", "requested_action")
                  .annotate(n=Count("*"), court=Count("cites_court_order", filter=Q(cites_court_order=True)),
                            decided=Count("decided_at"), items=Sum("item_count"), **kept)
                  .order_by())
    names: dict[str, str] = {}
    if groups:
        jurisdiction_of = {}
        for agency, code, name in (Agency.objects.filter(id__in={group["agency_id"] for group in groups})
                                   .values_list("id", "jurisdiction_id", "jurisdiction__name")):
            jurisdiction_of[agency], names[code] = code, name
        deciding: dict[str, set[int]] = defaultdict(set)
        for group in groups:
            code = jurisdiction_of[group["agency_id"]]
            action = group["requested_action"] or UNSPECIFIED_ACTION
            if group["decided"]:
                deciding[code].add(group["agency_id"])
            for figures in (per[code], totals):
                figures["requests"] += group["n"]
                figures["items"] += group["items"]
                figures["with_court_order"] += group["court"]
                figures["decided"] += group["decided"]
                figures["by_category"][group["category"]] += group["n"]
                figures["by_requested_action"][action] += group["n"]
                for tally in TALLIES:
                    figures["outcomes"][OUTCOME_OF_TALLY[tally]] += group[tally]

        if deciding:
            agencies = {code: sorted(agencies) for code, agencies in sorted(deciding.items())}
            if connection.vendor == "postgresql":
                medians = _medians_postgresql(exercise=exercise, period=period, agencies=agencies)
            else:
                medians = _medians(requests.filter(decided_at__isnull=False), agencies)
            for code, median in medians.items():
                (per[code] if code is not None else totals)["median_days_to_decision"] = _days(median)

        in_period = {"request__exercise": exercise, "request__submitted_at__gte": period.start,
                     "request__submitted_at__lt": period.end,
                     **({"request__agency__jurisdiction_id": jurisdiction} if jurisdiction else {})}
        appeals = Appeal.objects.filter(**in_period)
        for group in (appeals.values("request__agency__jurisdiction_id", "status")
                      .annotate(n=Count("*"), restored=Count("id", filter=Q(content_restored=True))).order_by()):
            for figures in (per[group["request__agency__jurisdiction_id"]]["appeals"], totals["appeals"]):
                figures["filed"] += group["n"]
                figures[group["status"]] += group["n"]
                figures["content_restored"] += group["restored"]

    rows = [{"code": code, "name": names.get(code, code), **_finish(figures)} for code, figures in per.items()]
    rows.sort(key=lambda row: (-row["requests"], row["code"]))
    return {
        "period": period.code,
        "label": period.label,
        "start": period.first_day.isoformat(),
        "end": period.last_day.isoformat(),
        "totals": _finish(totals),
        "jurisdictions": rows,
    }


def jurisdiction_trend(*, exercise: Exercise, jurisdiction: str) -> list[dict]:
    """Requests per half-year for one jurisdiction, oldest first, from one GROUP BY query."""
    half = Case(When(month__lte=6, then=Value(1)), default=Value(2))
    groups = (_filed(exercise).filter(agency__jurisdiction_id=jurisdiction)
              .annotate(year=ExtractYear("submitted_at"), month=ExtractMonth("submitted_at"))
              .annotate(half=half).values("year", "half").annotate(n=Count("id")).order_by("year", "half"))
    counts = {Period(group["year"], group["half"]): group["n"] for group in groups}
    if not counts:
        return []
    # Every half-year from the first to the last, with the quiet ones as zeros.
    trend, period, last = [], min(counts), max(counts)
    while period <= last:
        trend.append({"period": period.code, "requests": counts.get(period, 0)})
        period = period.next()
    return trend


# --- Cached reads ---------------------------------------------------------------------------

def _cached(name: str, exercise: Exercise, compute, *parts) -> object:
    key = ":".join(["crs.transparency", name, record_stamp(exercise), *(str(part) for part in parts)])
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def transparency_report_cached(*, exercise: Exercise, period: Period, jurisdiction: str | None = None) -> dict:
    """``transparency_report``, computed once per change of the record (see ``record_stamp``)."""
    return _cached("report", exercise,
                   lambda: transparency_report(exercise=exercise, period=period, jurisdiction=jurisdiction),
                   period.code, jurisdiction or "")


def jurisdiction_trend_cached(*, exercise: Exercise, jurisdiction: str) -> list[dict]:
    return _cached("trend", exercise, lambda: jurisdiction_trend(exercise=exercise, jurisdiction=jurisdiction),
                   jurisdiction)


# --- CSV -------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "period", "jurisdiction", "jurisdiction_name", "requests", "items", "with_court_order", "court_order_share",
    "decided", "median_days_to_decision", *(f"outcome_{key}" for key in OUTCOMES),
    *(f"appeals_{key}" for key in APPEAL_FIGURES),
    *(f"requested_action_{key}" for key in REQUESTED_ACTIONS), *(f"category_{key}" for key in Category.values),
)


def _csv_values(period: str, code: str, name: str, figures: dict) -> list:
    return [
        period, code, name, figures["requests"], figures["items"], figures["with_court_order"],
        "" if figures["court_order_share"] is None else figures["court_order_share"], figures["decided"],
        "" if figures["median_days_to_decision"] is None else figures["median_days_to_decision"],
        *(figures["outcomes"][key] for key in OUTCOMES),
        *(figures["appeals"][key] for key in APPEAL_FIGURES),
        *(figures["by_requested_action"][key] for key in REQUESTED_ACTIONS),
        *(figures["by_category"][key] for key in Category.values),
    ]


def report_csv(report: dict) -> str:
    """The report as CSV: one row per jurisdiction, then a row for all of them (jurisdiction ``ALL``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report["jurisdictions"]:
        writer.writerow(_csv_values(report["period"], row["code"], row["name"], row))
    writer.writerow(_csv_values(report["period"], ALL_JURISDICTIONS, "All jurisdictions", report["totals"]))
    return buffer.getvalue()
