"""The appeals queue: affected users' appeals, decided by a reviewer who did not make the decision.

Read-only like the request page: the one change, deciding, is its own page that calls
reports.appeals.appeal_decide (which enforces the second-reviewer rule and writes the event).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminRadioSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from audit.admin import ReadOnlyAdmin
from reports.errors import DomainError
from reports.forms import add_domain_errors
from reports.limits import MAX_RATIONALE_CHARS
from reports.models import Appeal
from reports.tenancy import exercise_for_user
from review.services import DECIDE_PERMISSION, appeal_decide


class AppealDecisionForm(forms.Form):
    # Not required at the form level: appeal_decide says what is missing.
    outcome = forms.ChoiceField(choices=[(Appeal.Status.UPHELD, "Uphold: the decision stands"),
                                         (Appeal.Status.REVERSED, "Reverse: restore the post")],
                                widget=AdminRadioSelect, required=False)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "cols": 80, "required": True}),
                                required=False, max_length=MAX_RATIONALE_CHARS,
                                help_text="The author reads it; it is kept in the record.")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "requester", "appealed_action", "original_reviewer", "filed_at",
                    "decided_by")
    list_filter = ("status", ("request__agency__jurisdiction", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("request__agency", "item", "decision__reviewer", "decided_by")
    search_fields = ("request__reference", "item__content__code")
    fields = ("request_link", "item_position", "post", "appealed_action", "decision_rationale", "original_reviewer",
              "statement", "status", "filed_at", "decided_by", "decided_at", "rationale", "post_now")
    readonly_fields = fields
    change_form_template = "admin/review/appeal/change_form.html"

    def get_queryset(self, request):
        # The queue: waiting appeals first, oldest first; only the reviewer's own exercise.
        waiting_first = Case(When(status=Appeal.Status.PENDING, then=Value(0)), default=Value(1),
                             output_field=IntegerField())
        return (super().get_queryset(request).filter(exercise=exercise_for_user(request.user))
                .select_related("request__agency__jurisdiction", "item__content", "decision__reviewer", "decided_by")
                .order_by(waiting_first, "filed_at", "id"))

    @admin.display(description="Requester")
    def requester(self, obj):
        return f"{obj.request.agency.name} ({obj.request.agency.jurisdiction.name})"

    @admin.display(description="Decision appealed")
    def appealed_action(self, obj):
        return obj.decision.get_action_display()

    @admin.display(description="Decided first by")
    def original_reviewer(self, obj):
        return obj.decision.reviewer.get_username()

    @admin.display(description="Request")
    def request_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:reports_takedownrequest_change",
                                                          args=[obj.request_id]), obj.request.reference)

    @admin.display(description="Item")
    def item_position(self, obj):
        return obj.item.position

    @admin.display(description="The post as reported")
    def post(self, obj):
        snapshot = obj.item.snapshot or {}
        translation = snapshot.get("translation") or (obj.item.content.translation if obj.item.content else "")
        return format_html('<blockquote class="crs-snapshot">{}</blockquote>{}<p>{} · @{}</p>',
                           snapshot.get("text", ""),
                           format_html('<div class="translation"><p class="translation-label">English translation:'
                                       '</p><p lang="en">{}</p></div>', translation) if translation else "",
                           snapshot.get("content_id", ""), snapshot.get("author", ""))

    @admin.display(description="The post now")
    def post_now(self, obj):
        # A sentence for each state: a pending appeal's post is not "restored", it is still withheld.
        if obj.status == Appeal.Status.PENDING:
            return "Still removed or restricted: the appeal waits for a decision."
        if obj.content_restored:
            return "Restored: reversing the decision made the post visible again."
        if obj.status == Appeal.Status.REVERSED:
            return "Reversed, but the post was already visible again (an earlier decision had lifted it)."
        return "Still removed or restricted: the appeal was upheld."

    @admin.display(description="Rationale of the decision appealed")
    def decision_rationale(self, obj):
        return obj.decision.rationale

    def get_urls(self):
        return [
            path("<int:object_id>/decide/", self.admin_site.admin_view(self.decide_view),
                 name="reports_appeal_decide"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update({"appeal": obj, "can_decide": self._may_decide(request, obj)})
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _may_decide(self, request, obj) -> bool:
        return (obj.status == Appeal.Status.PENDING and request.user.has_perm(DECIDE_PERMISSION)
                and obj.decision.reviewer_id != request.user.pk)

    def decide_view(self, request, object_id):
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        appeal = self.get_queryset(request).filter(pk=object_id).first()
        if appeal is None:
            raise Http404("No such appeal in this exercise.")
        page_url = reverse("admin:reports_appeal_change", args=[appeal.pk])
        form = AppealDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                decided = appeal_decide(reviewer=request.user, appeal=appeal, outcome=form.cleaned_data["outcome"],
                                        rationale=form.cleaned_data["rationale"])
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                text = ("Appeal upheld: the decision stands." if decided.status == Appeal.Status.UPHELD else
                        "Appeal reversed: " + ("the post is restored." if decided.content_restored
                                               else "the post was already visible."))
                self.message_user(request, text + " The author has been told.", messages.SUCCESS)
                return redirect(reverse("admin:reports_appeal_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Decide the appeal on {appeal.request.reference}, item {appeal.item.position}",
            "appeal": appeal,
            "form": form,
            "page_url": page_url,
            "is_original_reviewer": appeal.decision.reviewer_id == request.user.pk,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/review/appeal/decide.html", context,
                                status=400 if form.errors else 200)
