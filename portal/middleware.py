"""Pages instead of blank answers: a form's address opened directly (405), an action the workflow refuses."""

from __future__ import annotations

from django.http import HttpResponseNotAllowed

from portal.views.errors import API_PREFIX, error_page, refused_page
from reports.errors import DomainError


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


class RefusedActionPage:
    """An action the workflow refuses (the exercise closed meanwhile, the request moved on) that a view did not
    expect: the page says why, in the service's words, rather than a server error. Nothing was written.
    The API maps these errors itself (reports/api_errors.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError) and not request.path.startswith(API_PREFIX):
            return refused_page(request, exception)
        return None
