"""The audit trail in the admin: readable by those allowed to read it, changeable by nobody.

Events are written by the services only; here nobody, not even a superuser, may add, change
or delete one. ``ReadOnlyAdmin`` is the base of every admin over the record's history.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html

from audit.models import AuditEvent
from audit.vocabulary import EVENT_NAMES, event_name
from reports import roles
from reports.tenancy import exercise_for_user


def pretty_json(value) -> str:
    return format_html('<pre class="crs-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False,
                                                                    sort_keys=True))


class ReadOnlyAdmin(admin.ModelAdmin):
    """View permission only: no add, no change, no delete, no bulk actions."""

    actions = None

    class Media:
        css = {"all": ("review/admin.css",)}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The roles an event records (audit/events.py): the workflow, the reporters, the reviewers' tiers and the staff.
EVENT_ROLES = (roles.SYSTEM, roles.REPORTER, roles.POLICY_REVIEWER, roles.LEGAL_REVIEWER, roles.HUMAN_RIGHTS_REVIEWER,
               roles.SENIOR_REVIEWER, roles.PLATFORM_STAFF, roles.AFFECTED_USER, roles.AUDITOR, roles.INSTRUCTOR,
               roles.ADMINISTRATOR, roles.STUDENT)


class EventTypeFilter(admin.SimpleListFilter):
    """Every event type in words, in the order of the workflow: a fixed list, so the page never scans the trail."""

    title = "event"
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        return list(EVENT_NAMES.items())

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


class ActorRoleFilter(admin.SimpleListFilter):
    title = "actor role"
    parameter_name = "actor_role"

    def lookups(self, request, model_admin):
        return [(code, roles.role_label(code)) for code in EVENT_ROLES]

    def queryset(self, request, queryset):
        return queryset.filter(actor_role=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "event", "request", "actor_role_in_words", "log_leaf")
    list_filter = (EventTypeFilter, ActorRoleFilter)
    list_select_related = ("request", "log_entry")
    search_fields = ("request__reference", "event_type")
    fields = ("id", "uid", "created_at", "event", "request", "actor_role_in_words", "actor_ref", "log_leaf",
              "payload_json", "canonical_text")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="Event", ordering="event_type")
    def event(self, obj):
        # The code stays beside the words: it is what the API, the exports and the log hold.
        return format_html('{} <code class="crs-code">{}</code>', event_name(obj.event_type), obj.event_type)

    @admin.display(description="Actor role", ordering="actor_role")
    def actor_role_in_words(self, obj):
        return roles.role_label(obj.actor_role)

    def get_queryset(self, request):
        exercise = exercise_for_user(request.user)
        # Events about no exercise (rule activations) belong to the whole installation.
        return super().get_queryset(request).filter(Q(exercise=exercise) | Q(exercise__isnull=True))

    @admin.display(description="Log leaf")
    def log_leaf(self, obj):
        entry = getattr(obj, "log_entry", None)  # the reverse accessor raises an AttributeError until sealed
        return entry.index if entry is not None else "not yet sealed"

    @admin.display(description="Actor")
    def actor_ref(self, obj):
        return f"user:{obj.actor_id}" if obj.actor_id else "system"

    @admin.display(description="Payload")
    def payload_json(self, obj):
        return pretty_json(obj.payload)

    @admin.display(description="Canonical bytes (sealed into the transparency log)")
    def canonical_text(self, obj):
        return format_html('<pre class="crs-json">{}</pre>', bytes(obj.canonical).decode("utf-8", "replace"))
