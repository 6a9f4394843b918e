from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from reports.tenancy import reporter_account_for


def landing(request):
    return render(request, "portal/landing.html", {"account": reporter_account_for(request.user)})


def healthz(request):
    """Liveness for load balancers and compose: answers without touching the database."""
    return HttpResponse("ok\n", content_type="text/plain")
