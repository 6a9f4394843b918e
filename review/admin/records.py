"""The workflow's records in the admin: readable by those allowed to read them, changeable by nobody.

Screenings, check results and decisions are history. They are written by the services only;
here nobody, not even a superuser, may add, change or delete one.
"""

from __future__ import annotations

from django.contrib import admin

from audit.admin import ReadOnlyAdmin, pretty_json
from reports.tenancy import exercise_for_user
from review.models import CheckResult, Decision, ScreeningRun


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
