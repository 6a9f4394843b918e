"""Query filters every API shares: times in any offset, compared in UTC.

Dates accept a day (``2021-07-01``, meaning midnight UTC) or an ISO 8601 time; ``_after`` is
inclusive and ``_before`` exclusive, so consecutive ranges never count a request twice.
"""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


def _in_utc(value, message: str):
    """The time in UTC, or a validation error when it has none (year 1 at +20:00, say).

    Python accepts offsets up to ±23:59, PostgreSQL only up to ±15:59: converting here turns
    what would be a database error into the usual 400 naming the field.
    """
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(message, code="invalid") from None


class UTCDateTimeField(forms.DateTimeField):
    def to_python(self, value):
        return _in_utc(super().to_python(value), self.error_messages["invalid"])


class UTCIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        return _in_utc(super().to_python(value), self.error_messages["invalid"])


class UTCDateTimeFilter(django_filters.DateTimeFilter):
    """A day or a time, in any offset; compared in UTC."""

    field_class = UTCDateTimeField


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, in any offset; compared in UTC."""

    field_class = UTCIsoDateTimeField
