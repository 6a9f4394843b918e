"""A person's way into the API: what it offers their role, their token, and a first call to copy."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from portal.selectors import api_role, api_token_of
from portal.services import api_token_issue, api_token_revoke
from reports import roles

# The first call each role makes, to copy into a terminal.
FIRST_CALLS = {
    roles.REPORTER: [("Your agency's requests", "/api/v1/requests/"),
                     ("The jurisdictions and the laws you can cite", "/api/v1/jurisdictions/")],
    roles.AUDITOR: [("Every request, as the log records it", "/api/v1/audit/requests/"),
                    ("The audit trail", "/api/v1/audit/events/"),
                    ("Whether the log is intact", "/api/v1/audit/verify/")],
}


@login_required
def api_access(request):
    role = api_role(request.user)
    new_key = None
    if request.method == "POST" and role is not None:
        if request.POST.get("action") == "revoke":
            if api_token_revoke(user=request.user):
                messages.success(request, "Your API token is revoked: scripts using it are refused from now on.")
            return redirect("portal:api-access")
        # Shown once, on this answer only: it is never put in a message, a cookie or a log.
        new_key = api_token_issue(user=request.user).key
    token = api_token_of(request.user)
    calls = [(what, request.build_absolute_uri(path)) for what, path in FIRST_CALLS.get(role, [])]
    refused = request.method == "POST" and role is None  # the page says whom the API is for
    return render(request, "portal/api_access.html", {
        "role": role, "token": token, "new_key": new_key, "calls": calls,
    }, status=403 if refused else 200)
