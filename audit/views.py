"""The public transparency pages: the figures of audit/transparency.py with server-drawn charts."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from audit import charts, transparency
from audit.log import log_public_status
from reports.errors import InvalidInput
from reports.models import Category, Jurisdiction, RequestedAction
from reports.selectors import exercise_for_user

OUTCOME_LABELS = [
    ("removed_policy_violation", "Removed (platform policy)"),
    ("restricted_locally", "Restricted locally"),
    ("no_action", "No action"),
    ("pending", "Pending"),
]
ACTION_LABELS = [(RequestedAction.REMOVE_GLOBALLY, "Remove globally"),
                 (RequestedAction.RESTRICT_IN_JURISDICTION, "Restrict locally"),
                 (transparency.UNSPECIFIED_ACTION, "Not stated")]


def _period(request, exercise) -> tuple[transparency.Period, list[transparency.Period], str]:
    """The period asked for (or the latest), the periods to choose from, and an error to show, if any."""
    periods = transparency.available_periods(exercise=exercise)
    default = periods[0] if periods else transparency.default_period(exercise=exercise)
    code = request.GET.get("period", "")
    if not code:
        return default, periods, ""
    try:
        period = transparency.Period.parse(code)
    except InvalidInput as exc:
        return default, periods, exc.fields["period"][0]
    if period not in periods:
        periods = sorted([*periods, period], reverse=True)
    return period, periods, ""


def _link(name: str, period: transparency.Period, **kwargs) -> str:
    return f"{reverse(name, kwargs=kwargs or None)}?{urlencode({'period': period.code})}"


def _api_links(period: transparency.Period, code: str | None = None) -> dict[str, str]:
    query = {"period": period.code, **({"jurisdiction": code} if code else {})}
    base = reverse("audit:transparency-api")
    return {"json": f"{base}?{urlencode(query)}", "csv": f"{base}?{urlencode({**query, 'format': 'csv'})}"}


def _category_chart(figures: dict) -> charts.Chart:
    labels = dict(Category.choices)
    rows = sorted(((labels[key], value, None) for key, value in figures["by_category"].items() if value),
                  key=lambda row: (-row[1], row[0]))
    return charts.bar_chart("Requests by reason category", rows)


def transparency_page(request):
    exercise = exercise_for_user(request.user)
    period, periods, error = _period(request, exercise)
    report = transparency.transparency_report_cached(exercise=exercise, period=period)
    rows = report["jurisdictions"]
    context = {
        "report": report,
        "period": period,
        "periods": periods,
        "error": error,
        "rows": [{**row, "href": _link("audit:transparency-country", period, code=row["code"])} for row in rows],
        "requests_chart": charts.bar_chart(
            "Requests by jurisdiction",
            [(row["name"], row["requests"], _link("audit:transparency-country", period, code=row["code"]))
             for row in rows]),
        "outcomes_chart": charts.stacked_chart(
            "Reported items by outcome", OUTCOME_LABELS,
            [(row["name"], row["outcomes"], None) for row in rows]),
        "category_chart": _category_chart(report["totals"]),
        "api": _api_links(period),
    }
    context["log_status"] = log_public_status()
    return render(request, "audit/transparency.html", context)


def transparency_country_page(request, code: str):
    exercise = exercise_for_user(request.user)
    jurisdiction = Jurisdiction.objects.filter(code=code.upper()).first()
    if jurisdiction is None:
        raise Http404("No such jurisdiction.")
    period, periods, error = _period(request, exercise)
    report = transparency.transparency_report_cached(exercise=exercise, period=period, jurisdiction=jurisdiction.code)
    figures = report["jurisdictions"][0] if report["jurisdictions"] else report["totals"]
    trend = transparency.jurisdiction_trend_cached(exercise=exercise, jurisdiction=jurisdiction.code)
    context = {
        "jurisdiction": jurisdiction,
        "report": report,
        "figures": figures,
        "period": period,
        "periods": periods,
        "error": error,
        "category_chart": _category_chart(figures),
        "action_chart": charts.bar_chart(
            "Requests by requested action",
            [(label, figures["by_requested_action"][key], None) for key, label in ACTION_LABELS]),
        "outcomes_chart": charts.stacked_chart("Reported items by outcome", OUTCOME_LABELS,
                                               [(jurisdiction.name, figures["outcomes"], None)]),
        "trend_chart": charts.bar_chart(
            "Requests per half-year",
            [(point["period"], point["requests"],
              _link("audit:transparency-country", transparency.Period.parse(point["period"]),
                    code=jurisdiction.code)) for point in trend],
            highlight=period.code),
        "api": _api_links(period, jurisdiction.code),
    }
    context["log_status"] = log_public_status()
    return render(request, "audit/transparency_country.html", context)
