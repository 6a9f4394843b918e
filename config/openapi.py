"""The OpenAPI schema class: every operation documents the errors it can answer, in the one error format.

drf-spectacular documents the success responses it can infer; this adds, where the view
can produce them and no annotation says otherwise, 400 (input or filters), 401 (no or bad
credentials), 403 (a role that may not use the endpoint), 404 (an unknown object, page or
cursor) and 429 (throttled), each with the body of reports/api_errors.py; and it gives that
body to any other error an annotation names with a description only (409, say).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny

from reports.api_errors import ApiErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "Invalid input or filters: every problem is listed under fields.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "Your role may not use this endpoint.",
    "404": "No such object (or page or cursor) within your scope.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}


class CRSAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        view = self.view
        codes = []
        takes_input = self.method in ("POST", "PUT", "PATCH")
        has_query = bool(self._get_filter_parameters()) or any(
            getattr(parameter, "location", None) == "query" for parameter in self.get_override_parameters())
        if takes_input or has_query:
            codes.append("400")
        if view.authentication_classes:
            codes.append("401")
        if not all(isinstance(permission, AllowAny) for permission in view.get_permissions()):
            codes.append("403")
        if "{" in self.path or (self._is_list_view() and self._get_paginator() is not None):
            codes.append("404")
        if view.get_throttles():
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        # Error codes an annotation names without a body (409, say) have the same body as the rest.
        annotated = [code for code, response in responses.items() if code.startswith("4") and "content" not in response]
        for code in dict.fromkeys([*self._error_codes(), *annotated]):
            documented = responses.get(code)
            if documented is not None and "content" in documented:
                continue
            error = self._get_response_for_code(ApiErrorSerializer, code, media_types=["application/json"])
            error["description"] = (documented or {}).get("description") or ERROR_DESCRIPTIONS.get(code, "")
            responses[code] = error
        return responses
