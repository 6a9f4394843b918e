"""The agency's requests: what each is waiting for, filtered, searched and counted by status."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from portal import selectors as portal_selectors
from portal.forms import DashboardFilterForm
from portal.views.common import reporter_view
from reports.models import Status

PAGE_SIZE = 25


@reporter_view(verified=False)
def dashboard(request):
    account = request.reporter
    context = {"account": account}
    if account.can_file:
        filters = DashboardFilterForm(request.GET or None)
        chosen = filters.cleaned_data if filters.is_valid() else {}
        requests = portal_selectors.dashboard_requests(
            reporter=account, status=chosen.get("status", ""), category=chosen.get("category", ""),
            search=chosen.get("q", ""))
        counts = portal_selectors.status_counts(reporter=account)
        page = Paginator(requests.select_related("agency"), PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = portal_selectors.with_dashboard_figures(list(page.object_list))
        context.update(
            filters=filters, page=page, filtered=bool(chosen and any(chosen.values())),
            counts=[(status, label, counts.get(status, 0)) for status, label in Status.choices],
            total=sum(counts.values()), draft=portal_selectors.current_draft(reporter=account),
        )
    return render(request, "portal/dashboard.html", context)
