"""Filters of the request list that are more than a field's choices."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from reports.models import Status
from review.rules import active_ruleset
from review.selectors import OPEN_STATES, day_end


class StatusFilter(admin.SimpleListFilter):
    """The status, plus "open" (queued or in review): what the queues hold, and what the list shows first."""

    title = "status"
    parameter_name = "status"
    OPEN = "open"
    ANY = "any"

    def lookups(self, request, model_admin):
        return [(self.OPEN, "Open (queued or in review)"), (self.ANY, "Any status, decided ones too")] + [
            (status.value, status.label) for status in Status if status != Status.DRAFT]

    def value(self):
        # A reviewer comes to the list for the work waiting: open requests unless another status is asked for.
        return super().value() or self.OPEN

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == str(lookup), "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.OPEN:
            return queryset.filter(status__in=OPEN_STATES)
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class SlaFilter(admin.SimpleListFilter):
    """When the service-level time of an open request runs out."""

    title = "SLA due"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("today", "Due today"), ("later", "Due later")]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_requests = queryset.filter(status__in=OPEN_STATES, sla_due_at__isnull=False)
        if self.value() == "overdue":
            return open_requests.filter(sla_due_at__lt=now)
        if self.value() == "today":
            return open_requests.filter(sla_due_at__gte=now, sla_due_at__lt=day_end(now))
        if self.value() == "later":
            return open_requests.filter(sla_due_at__gte=day_end(now))
        return queryset


class ClaimFilter(admin.SimpleListFilter):
    title = "claim"
    parameter_name = "claim"

    def lookups(self, request, model_admin):
        return [("mine", "Claimed by me"), ("unclaimed", "Unclaimed (waiting in a queue)"),
                ("others", "Claimed by others")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(claimed_by=request.user)
        if self.value() == "unclaimed":
            return queryset.filter(status=Status.QUEUED, claimed_by__isnull=True)
        if self.value() == "others":
            return queryset.filter(claimed_by__isnull=False).exclude(claimed_by=request.user)
        return queryset


class PriorityFilter(admin.AllValuesFieldListFilter):
    """The priorities the active rules assign (1 is the most urgent), not a DISTINCT over every request."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        priorities = active_ruleset().data["routing"]["sla_hours"]
        self.lookup_choices = sorted(int(priority) for priority in priorities)


def worded_filter(field: str, title: str, label) -> type[admin.SimpleListFilter]:
    """A list filter over a code field's values, each shown in words (the code stays in the URL)."""

    class WordedFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            values = model_admin.get_queryset(request).order_by().values_list(field, flat=True).distinct()
            return sorted(((value, label(value)) for value in values), key=lambda pair: pair[1])

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    WordedFilter.title = title
    return WordedFilter
