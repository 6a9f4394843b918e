from __future__ import annotations

from django.shortcuts import render

from reports import selectors


def landing(request):
    return render(request, "portal/landing.html", {"account": selectors.reporter_account_for(request.user)})
