"""The public transparency pages: the figures of transparency/figures.py with server-drawn charts."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from audit.log import log_public_status
from reports.errors import InvalidInput
from reports.models import Category, Jurisdiction, RequestedAction
from reports.tenancy import exercise_for_user
from review.models import ItemOutcome
from transparency import charts, figures

OUTCOME_LABELS = ItemOutcome.choices
ACTION_LABELS = [(RequestedAction.REMOVE_GLOBALLY, "Remove globally"),
                 (RequestedAction.RESTRICT_IN_JURISDICTION, "Restrict locally"),
                 (figures.UNSPECIFIED_ACTION, "Not stated")]


def _period(request, exercise) -> tuple[figures.Period, list[figures.Period], str]:
    """The period asked for (or the latest), the periods to choose from, and an error to show, if any."""
    periods = figures.available_periods(exercise=exercise)
    default = periods[0] if periods else figures.default_period(exercise=exercise)
    code = request.GET.get("period", "")
    if not code:
        return default, periods, ""
    try:
        period = figures.Period.parse(code)
    except InvalidInput as exc:
        return default, periods, exc.fields["period"][0]
    if period not in periods:
        periods = sorted([*periods, period], reverse=True)
    return period, periods, ""


def _link(name: str, period: figures.Period, **kwargs) -> str:
    return f"{reverse(name, kwargs=kwargs or None)}?{urlencode({'period': period.code})}"


def _api_links(period: figures.Period, code: str | None = None) -> dict[str, str]:
    query = {"period": period.code, **({"jurisdiction": code} if code else {})}
    base = reverse("transparency:transparency-api")
    return {"json": f"{base}?{urlencode(query)}", "csv": f"{base}?{urlencode({**query, 'format': 'csv'})}"}


def _category_chart(figures: dict) -> charts.Chart:
    labels = dict(Category.choices)
    rows = sorted(((labels[key], value, None) for key, value in figures["by_category"].items() if value),
                  key=lambda row: (-row[1], row[0]))
    return charts.bar_chart("Requests by reason category", rows)


def transparency_page(request):
    exercise = exercise_for_user(request.user)
    period, periods, error = _period(request, exercise)
    report = figures.transparency_report_cached(exercise=exercise, period=period)
    rows = report["jurisdictions"]
    context = {
        "report": report,
        "period": period,
        "periods": periods,
        "error": error,
        "rows": [{**row, "href": _link("transparency:transparency-country", period, code=row["code"])} for row in rows],
        "requests_chart": charts.bar_chart(
            "Requests by jurisdiction",
            [(row["name"], row["requests"], _link("transparency:transparency-country", period, code=row["code"]))
             for row in rows]),
        "outcomes_chart": charts.stacked_chart(
            "Reported items by outcome", OUTCOME_LABELS,
            [(row["name"], row["outcomes"], None) for row in rows]),
        "category_chart": _category_chart(report["totals"]),
        "api": _api_links(period),
    }
    context["log_status"] = log_public_status()
    return render(request, "transparency/transparency.html", context)


def transparency_country_page(request, code: str):
    exercise = exercise_for_user(request.user)
    jurisdiction = Jurisdiction.objects.filter(code=code.upper()).first()
    if jurisdiction is None:
        raise Http404("No such jurisdiction.")
    period, periods, error = _period(request, exercise)
    report = figures.transparency_report_cached(exercise=exercise, period=period, jurisdiction=jurisdiction.code)
    shown = report["jurisdictions"][0] if report["jurisdictions"] else report["totals"]
    trend = figures.jurisdiction_trend_cached(exercise=exercise, jurisdiction=jurisdiction.code)
    context = {
        "jurisdiction": jurisdiction,
        "report": report,
        "figures": shown,
        "period": period,
        "periods": periods,
        "error": error,
        "category_chart": _category_chart(shown),
        "action_chart": charts.bar_chart(
            "Requests by requested action",
            [(label, shown["by_requested_action"][key], None) for key, label in ACTION_LABELS]),
        "outcomes_chart": charts.stacked_chart("Reported items by outcome", OUTCOME_LABELS,
                                               [(jurisdiction.name, shown["outcomes"], None)]),
        "trend_chart": charts.bar_chart(
            "Requests per half-year",
            [(point["period"], point["requests"],
              _link("transparency:transparency-country", figures.Period.parse(point["period"]),
                    code=jurisdiction.code)) for point in trend],
            highlight=period.code),
        "api": _api_links(period, jurisdiction.code),
    }
    context["log_status"] = log_public_status()
    return render(request, "transparency/transparency_country.html", context)
