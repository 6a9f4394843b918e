"""Rule versions: read by reviewers and auditors, tried in shadow mode and activated by administrators."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from audit.admin import ReadOnlyAdmin, pretty_json
from review.models import RuleSet
from review.services import ruleset_activate
from review.shadow import shadow_run


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdmin):
    list_display = ("version", "state", "created_at", "activated_at", "activated_by", "shadow_link")
    list_filter = ("state",)
    fields = ("version", "state", "description", "data_sha256", "created_at", "activated_at", "activated_by",
              "shadow_link", "data_json")
    readonly_fields = fields
    actions = ["activate"]

    def has_activate_permission(self, request):
        # Activation changes how every future request is screened: administrators only.
        return request.user.is_superuser

    @admin.action(permissions=["activate"], description="Activate the selected rule version")
    def activate(self, request, queryset):
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, "Select exactly one rule version to activate.", messages.ERROR)
            return None
        ruleset = ruleset_activate(ruleset=chosen[0], actor=request.user)
        self.message_user(request, f"Rules {ruleset.version} are active for every future screening.",
                          messages.SUCCESS)
        return None

    @admin.display(description="Shadow run")
    def shadow_link(self, obj):
        if obj.state != RuleSet.State.CANDIDATE:
            return "—"
        return format_html('<a href="{}">Replay past requests under {}</a>',
                           reverse("admin:review_ruleset_shadow", args=[obj.pk]), obj.version)

    @admin.display(description="Rule data")
    def data_json(self, obj):
        return pretty_json(obj.data)

    def get_urls(self):
        return [
            path("<int:object_id>/shadow/", self.admin_site.admin_view(self.shadow_view),
                 name="review_ruleset_shadow"),
            path("<int:object_id>/activate/", self.admin_site.admin_view(self.activate_view),
                 name="review_ruleset_activate"),
            *super().get_urls(),
        ]

    def shadow_view(self, request, object_id):
        """What the candidate would change: every past request's latest screening replayed, nothing written."""
        if not self.has_activate_permission(request):
            raise PermissionDenied
        ruleset = RuleSet.objects.filter(pk=object_id).first()
        if ruleset is None:
            raise Http404("No such rule version.")
        report = shadow_run(candidate=ruleset.data)
        active = RuleSet.objects.filter(state=RuleSet.State.ACTIVE).first()
        return TemplateResponse(request, "admin/review/ruleset/shadow.html", {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": f"Shadow run of rules {ruleset.version}", "ruleset": ruleset,
            "active": active, "report": report.as_dict(), "media": self.media,
        })

    def activate_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_activate_permission(request):
            raise PermissionDenied
        ruleset = RuleSet.objects.filter(pk=object_id).first()
        if ruleset is None:
            raise Http404("No such rule version.")
        ruleset = ruleset_activate(ruleset=ruleset, actor=request.user)
        self.message_user(request, f"Rules {ruleset.version} are active for every future screening.",
                          messages.SUCCESS)
        return redirect(reverse("admin:review_ruleset_changelist"))
