"""One error format for the whole API.

Every error answers JSON of the form::

    {"code": "invalid", "detail": "The request has invalid fields.",
     "fields": {"items.1.content_id": ["No content with id 'kz-9999' on the platform."]}}

``fields`` is keyed by the dotted path of the input field (empty when the error is
not about a field); ``code`` is stable and machine-readable.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from reports.errors import DomainError


def flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                path = prefix
            for sub, messages in flatten(value, path).items():
                flat.setdefault(sub, []).extend(messages)
    elif isinstance(errors, list):
        if all(not isinstance(e, (dict, list)) for e in errors):
            flat[prefix] = [str(e) for e in errors]
        else:
            for index, value in enumerate(errors):
                if value:
                    flat.update(flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix] = [str(errors)]
    return flat


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    # Django's own exceptions become DRF's here, so that they carry DRF's codes (not_found, permission_denied).
    if isinstance(exc, (ObjectDoesNotExist, Http404)):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "detail": "The request has invalid fields.",
                         "fields": flatten(exc.detail)}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
    code = getattr(getattr(exc, "detail", None), "code", None) or getattr(exc, "default_code", "error")
    response.data = {"code": str(code), "detail": str(detail), "fields": {}}
    return response


class ApiErrorSerializer(serializers.Serializer):
    """The one error format of the API (this module)."""

    code = serializers.CharField(help_text="Stable, machine-readable: invalid, not_found, not_authenticated, ...")
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Messages per dotted input path, e.g. items.1.content_id; "
                                             "empty when the error is not about a field.")
