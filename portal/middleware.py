"""A page instead of a blank answer when a form's address is opened directly (405 Method Not Allowed)."""

from __future__ import annotations

from django.http import HttpResponseNotAllowed

from portal.views.errors import error_page


class MethodNotAllowedPage:
    """Django answers a GET to a POST-only view with an empty 405; people get the site's page (and its Allow header)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            page = error_page(request, 405)
            page["Allow"] = response["Allow"]
            return page
        return response
