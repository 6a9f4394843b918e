"""The site's own error pages: what went wrong in words, and a way back. The API answers in its own format.

Installed as Django's handlers (config/urls.py), so they are what everyone sees whenever debug is
off (a seminar in class mode, a deployment); a 405 page comes from portal/middleware.py.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from portal.views.accounts import start_page

API_PREFIX = "/api/"
PAGES = {
    400: ("This request could not be understood",
          "The address or the form sent was not one the site can read. Go back and try again."),
    403: ("You may not open this page",
          "Your account's role does not include this page, or the form had expired. If you think it should, "
          "log in with the account your instructor or platform staff gave you."),
    404: ("There is no such page",
          "Nothing here has this address, or it belongs to an agency or an exercise you are not part of."),
    405: ("This address only takes a form",
          "It is where a button on another page sends its form; opening it directly does nothing. Use the "
          "page's own button instead."),
    500: ("Something went wrong on our side",
          "The site could not finish this page. Nothing you sent was half-saved: try again in a moment, and "
          "tell your instructor if it happens again."),
}
API_CODES = {400: "invalid", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed",
             500: "server_error"}


def error_page(request, status: int):
    title, explanation = PAGES[status]
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"code": API_CODES[status], "detail": title + ".", "fields": {}}, status=status)
    return _page(request, status, title, explanation)


def refused_page(request, error):
    """A refused action (a DomainError): its own message, with the status the API would give."""
    return _page(request, error.status, "This could not be done", error.message + " Nothing was changed.")


def _page(request, status: int, title: str, explanation: str):
    """The error page, with a way back to where the person works (a crash uses standalone.html instead)."""
    user = getattr(request, "user", None)
    home = start_page(user) if user is not None and user.is_authenticated else "/"
    return render(request, "errors/error.html", {"status": status, "title": title, "explanation": explanation,
                                                 "home": home}, status=status)


def bad_request(request, exception=None):
    return error_page(request, 400)


def permission_denied(request, exception=None):
    return error_page(request, 403)


def page_not_found(request, exception=None):
    return error_page(request, 404)


def server_error(request):
    # Rendered without the database: the error may be the database.
    title, explanation = PAGES[500]
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"code": API_CODES[500], "detail": title + ".", "fields": {}}, status=500)
    return render(request, "errors/standalone.html", {"status": 500, "title": title, "explanation": explanation},
                  status=500)
