"""The government reporters' web portal (thin views over reports.selectors and reports.services)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from reports import selectors
from reports.models import TakedownRequest
from reports.timeline import request_timeline


def landing(request):
    return render(request, "portal/landing.html")


def _reporter_or_404(request):
    account = selectors.reporter_account_for(request.user)
    if account is None:
        raise Http404("Only reporter accounts have a portal.")
    return account


@login_required
def dashboard(request):
    account = _reporter_or_404(request)
    requests = selectors.requests_for_agency(reporter=account).select_related("agency").order_by("-created_at")
    return render(request, "portal/dashboard.html", {"account": account, "requests": requests[:200]})


@login_required
def request_detail(request, reference: str):
    account = _reporter_or_404(request)
    try:
        takedown = selectors.request_for_reporter(reporter=account, reference=reference)
    except TakedownRequest.DoesNotExist:
        raise Http404("No such request in your agency's records.") from None
    return render(request, "portal/request_detail.html",
                  {"account": account, "req": takedown, "timeline": request_timeline(takedown)})
