"""Filters of the auditors' request log and audit trail, shared by the API, exports and the command.

Dates accept a day (``2021-07-01``, meaning midnight UTC) or an ISO 8601 time; ``_after`` is
inclusive and ``_before`` exclusive, so consecutive ranges never count a request twice.
"""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from audit.models import AuditEvent
from reports.models import Category, Outcome, Queue, Status, TakedownRequest

FILED_STATUSES = [(value, label) for value, label in Status.choices if value != Status.DRAFT]


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


class UpperCaseCharField(forms.CharField):
    def to_python(self, value):
        return super().to_python(value).strip().upper()


class JurisdictionFilter(django_filters.CharFilter):
    field_class = UpperCaseCharField


class AuditRequestFilter(django_filters.FilterSet):
    jurisdiction = JurisdictionFilter(field_name="agency__jurisdiction_id", max_length=2,
                                      help_text="ISO 3166-1 alpha-2 code of the requester's jurisdiction, e.g. KZ.")
    agency = django_filters.CharFilter(field_name="agency__code", max_length=60,
                                       help_text="Agency code, e.g. kz-misd.")
    category = django_filters.ChoiceFilter(choices=Category.choices, help_text="Reason category code.")
    status = django_filters.ChoiceFilter(choices=FILED_STATUSES, help_text="Current status.")
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, help_text="Outcome of a decided request.")
    queue = django_filters.ChoiceFilter(choices=Queue.choices, help_text="Queue the request was routed to.")
    submitted_after = UTCDateTimeFilter(field_name="submitted_at", lookup_expr="gte",
                                                    help_text="Submitted at or after this day or time (UTC).")
    submitted_before = UTCDateTimeFilter(field_name="submitted_at", lookup_expr="lt",
                                                     help_text="Submitted before this day or time (UTC).")
    decided_after = UTCDateTimeFilter(field_name="decided_at", lookup_expr="gte",
                                                  help_text="Decided at or after this day or time (UTC).")
    decided_before = UTCDateTimeFilter(field_name="decided_at", lookup_expr="lt",
                                                   help_text="Decided before this day or time (UTC).")

    class Meta:
        model = TakedownRequest
        fields = ["jurisdiction", "agency", "category", "status", "outcome", "queue", "submitted_after",
                  "submitted_before", "decided_after", "decided_before"]


FILTER_NAMES = tuple(AuditRequestFilter.Meta.fields)


def active_filters(data) -> dict[str, str]:
    """The filters actually given (non-empty), as strings: what an export records and a job stores."""
    return {name: str(data[name]).strip() for name in FILTER_NAMES if name in data and str(data[name]).strip()}


class AuditEventFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(field_name="event_type", max_length=40,
                                     help_text="Event type, e.g. request_submitted or item_decided.")
    request = django_filters.CharFilter(field_name="request__reference", max_length=20,
                                        help_text="Only the events of this request (its reference).")
    log_index = django_filters.NumberFilter(field_name="log_entry__index",
                                            help_text="The event at this index of the transparency log.")
    sealed = django_filters.BooleanFilter(field_name="log_entry", lookup_expr="isnull", exclude=True,
                                          help_text="true: only events sealed into the log; false: only pending.")

    class Meta:
        model = AuditEvent
        fields = ["type", "request", "log_index", "sealed"]
