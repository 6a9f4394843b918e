"""What every portal view needs: the reporter behind the request, and their agency's requests only."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from filing.selectors import agency_request, request_for_reporter
from reports.models import ReporterAccount, TakedownRequest
from reports.tenancy import reporter_account_for


def reporter_view(view=None, *, verified: bool = True):
    """Only for reporter accounts (and, unless ``verified=False``, verified ones); sets ``request.reporter``.

    Anyone else is told why they cannot go on (403) rather than shown an empty page.
    A pending or rejected account sees no agency data at all: verification is what
    confirms that the person works for the agency. Put it above ``require_POST``: the
    role is checked first, so only a reporter learns which method a view takes.
    """
    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            account = reporter_account_for(request.user)
            if account is None:
                return render(request, "portal/forbidden.html", {"reason": "not_reporter"}, status=403)
            if verified and not account.can_file:
                return render(request, "portal/forbidden.html", {"reason": "not_verified", "account": account},
                              status=403)
            request.reporter = account
            return func(request, *args, **kwargs)
        return wrapper
    return decorate(view) if view is not None else decorate


def own_request_or_404(account: ReporterAccount, reference: str, *, detail: bool = False) -> TakedownRequest:
    """One of the agency's requests; another agency's reference is answered exactly like a missing one."""
    try:
        if detail:
            return request_for_reporter(reporter=account, reference=reference)
        return agency_request(account, reference=reference)
    except TakedownRequest.DoesNotExist:
        raise Http404("No such request in your agency's records.") from None


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback
