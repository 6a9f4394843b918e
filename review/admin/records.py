"""The workflow's records in the admin: readable by those allowed to read them, changeable by nobody.

Screenings, check results and decisions are history. They are written by the services only;
here nobody, not even a superuser, may add, change or delete one.
"""

from __future__ import annotations

from django.contrib import admin

from audit.admin import ReadOnlyAdmin, pretty_json
from reports.roles import role_label
from reports.tenancy import exercise_for_user
from review.admin.filters import worded_filter
from review.models import CheckResult, Decision, ScreeningRun
from review.vocabulary import flag_label, route_label, verdict_label


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
        priority = obj.route.get("priority")
        return route_label(obj.route.get("target")) + (f" (priority {priority})" if priority else "")

    @admin.display(description="Route")
    def route_json(self, obj):
        return pretty_json(obj.route)

    @admin.display(description="What the checks read")
    def input_json(self, obj):
        return pretty_json(obj.check_input)


@admin.register(CheckResult)
class CheckResultAdmin(_RequestScoped):
    list_display = ("request", "round", "position", "name", "version", "verdict_words", "flag_list")
    list_filter = ("name", worded_filter("verdict", "verdict", verdict_label), "version")
    list_select_related = ("request",)
    search_fields = ("request__reference",)
    fields = ("request", "round", "position", "name", "version", "verdict_words", "flag_list", "explanation",
              "findings_json", "created_at")
    readonly_fields = fields

    @admin.display(description="Verdict", ordering="verdict")
    def verdict_words(self, obj):
        return verdict_label(obj.verdict, obj.name)

    @admin.display(description="Flags")
    def flag_list(self, obj):
        return "; ".join(flag_label(flag) for flag in obj.flags) or "—"

    @admin.display(description="Findings")
    def findings_json(self, obj):
        return pretty_json(obj.findings)


@admin.register(Decision)
class DecisionAdmin(_RequestScoped):
    list_display = ("request", "item_position", "round", "action", "reason_code", "reviewer_role",
                    "contradicts_checks", "decided_at")
    list_filter = ("action", "reason_code", worded_filter("reviewer_tier", "reviewer", role_label),
                   "contradicts_checks")
    list_select_related = ("request", "item")
    search_fields = ("request__reference",)
    fields = ("request", "item_position", "round", "action", "reason_code", "rationale", "reviewer",
              "reviewer_role", "contradicts_checks", "decided_at")
    readonly_fields = fields

    @admin.display(description="As", ordering="reviewer_tier")
    def reviewer_role(self, obj):
        return role_label(obj.reviewer_tier)

    @admin.display(description="Item", ordering="item__position")
    def item_position(self, obj):
        return obj.item.position
