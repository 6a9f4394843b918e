"""Filters of the auditors' request log, shared by the API, the exports and the command.

Dates accept a day or a time (reports/filters.py): ``_after`` is inclusive and ``_before``
exclusive, so consecutive ranges never count a request twice.
"""

from __future__ import annotations

import django_filters
from django import forms

from reports.filters import UTCDateTimeFilter
from reports.models import Category, Outcome, Queue, Status, TakedownRequest

FILED_STATUSES = [(value, label) for value, label in Status.choices if value != Status.DRAFT]


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
