"""The workflow's records in the admin: readable by those allowed to read them, changeable by nobody.

Audit events, screenings, check results and decisions are history. They are written
by the services only; here nobody, not even a superuser, may add, change or delete one.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html

from audit.models import AuditEvent
from reports.selectors import exercise_for_user
from review.models import CheckResult, Decision, ScreeningRun


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


class _RequestScoped(ReadOnlyAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(request__exercise=exercise_for_user(request.user))


@admin.register(ScreeningRun)
class ScreeningRunAdmin(_RequestScoped):
    list_display = ("request", "round", "workflow_version", "rules_version", "route_target", "finished_at")
    list_filter = ("workflow_version", "rules_version")
    list_select_related = ("request",)
    search_fields = ("request__reference",)
    fields = ("request", "round", "workflow_version", "rules_version", "finished_at", "route_json", "input_json")
    readonly_fields = fields

    @admin.display(description="Route")
    def route_target(self, obj):
        return f"{obj.route.get('target')} (priority {obj.route.get('priority')})"

    @admin.display(description="Route")
    def route_json(self, obj):
        return pretty_json(obj.route)

    @admin.display(description="What the checks read")
    def input_json(self, obj):
        return pretty_json(obj.check_input)


@admin.register(CheckResult)
class CheckResultAdmin(_RequestScoped):
    list_display = ("request", "round", "position", "name", "version", "verdict", "flag_list")
    list_filter = ("name", "verdict", "version")
    list_select_related = ("request",)
    search_fields = ("request__reference",)
    fields = ("request", "round", "position", "name", "version", "verdict", "flag_list", "explanation",
              "findings_json", "created_at")
    readonly_fields = fields

    @admin.display(description="Flags")
    def flag_list(self, obj):
        return ", ".join(obj.flags) or "—"

    @admin.display(description="Findings")
    def findings_json(self, obj):
        return pretty_json(obj.findings)


@admin.register(Decision)
class DecisionAdmin(_RequestScoped):
    list_display = ("request", "item_position", "round", "action", "reason_code", "reviewer_tier",
                    "contradicts_checks", "decided_at")
    list_filter = ("action", "reason_code", "reviewer_tier", "contradicts_checks")
    list_select_related = ("request", "item")
    search_fields = ("request__reference",)
    fields = ("request", "item_position", "round", "action", "reason_code", "rationale", "reviewer",
              "reviewer_tier", "contradicts_checks", "decided_at")
    readonly_fields = fields

    @admin.display(description="Item", ordering="item__position")
    def item_position(self, obj):
        return obj.item.position
