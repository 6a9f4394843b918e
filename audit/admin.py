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


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "event_type", "request", "actor_role", "log_leaf")
    list_filter = ("event_type", "actor_role")
    list_select_related = ("request", "log_entry")
    search_fields = ("request__reference", "event_type")
    fields = ("id", "uid", "created_at", "event_type", "request", "actor_role", "actor_ref", "log_leaf",
              "payload_json", "canonical_text")
    readonly_fields = fields
    show_full_result_count = False

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
