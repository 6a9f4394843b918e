"""Platform staff's admin for reporter accounts and agencies: verify or reject registrations.

Thin: every change goes through reports.accounts, which checks the permission,
writes the audit event and e-mails the person. Nothing here edits a verification
state directly, so nothing can skip the record.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from filing.services import reporter_reject, reporter_verify
from filing.services.accounts import VERIFY_FROM, VERIFY_PERMISSION
from reports.errors import DomainError
from reports.limits import MAX_REASON_CHARS
from reports.models import Agency, ReporterAccount, Verification


class RejectionForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=MAX_REASON_CHARS, widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Shown to the person on the site and sent to them by e-mail; kept in the audit record.",
    )


def _pending_changelist() -> str:
    return reverse("admin:reports_reporteraccount_changelist") + f"?verification__exact={Verification.PENDING}"


@admin.register(ReporterAccount)
class ReporterAccountAdmin(admin.ModelAdmin):
    list_display = ("username", "agency_name", "jurisdiction", "official_title", "work_email", "verification",
                    "created_at")
    list_filter = ("verification", "agency__state", "agency__jurisdiction")
    search_fields = ("user__username", "work_email", "official_title", "agency__name", "agency__code")
    list_select_related = ("user", "agency__jurisdiction")
    ordering = ("-created_at",)
    fields = ("user", "exercise", "agency", "agency_state", "official_title", "work_email", "verification",
              "verification_note", "verified_at", "verified_by", "created_at")
    readonly_fields = fields
    actions = ["verify_selected", "reject_selected"]
    change_form_template = "filing/admin/reporteraccount_change_form.html"

    # Accounts are created by registration and kept for the record.
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_verify_permission(self, request) -> bool:
        return request.user.has_perm(VERIFY_PERMISSION)

    @admin.display(description="Username", ordering="user__username")
    def username(self, account: ReporterAccount) -> str:
        return account.user.get_username()

    @admin.display(description="Agency", ordering="agency__name")
    def agency_name(self, account: ReporterAccount) -> str:
        if account.agency.state == Agency.State.PROPOSED:
            return format_html("{} <em>(proposed)</em>", account.agency.name)
        return account.agency.name

    @admin.display(description="Jurisdiction", ordering="agency__jurisdiction_id")
    def jurisdiction(self, account: ReporterAccount) -> str:
        return account.agency.jurisdiction_id

    @admin.display(description="Agency state")
    def agency_state(self, account: ReporterAccount) -> str:
        return account.agency.get_state_display()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        account = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            # Every field is read-only: the decisions are the verify and reject buttons.
            "show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False,
            "show_delete": False,
            "can_decide": self.has_verify_permission(request),
            "can_verify": account is not None and account.verification in VERIFY_FROM,
            "can_reject": account is not None and account.verification == Verification.PENDING,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        own = [
            path("<path:object_id>/verify/", self.admin_site.admin_view(self.verify_view),
                 name="reports_reporteraccount_verify"),
            path("<path:object_id>/reject/", self.admin_site.admin_view(self.reject_view),
                 name="reports_reporteraccount_reject"),
        ]
        return own + super().get_urls()

    def _account_or_404(self, request, object_id) -> ReporterAccount:
        if not self.has_verify_permission(request):
            raise PermissionDenied
        account = self.get_object(request, object_id)
        if account is None:
            raise Http404("No such reporter account.")
        return account

    def _context(self, request, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def verify_view(self, request, object_id):
        account = self._account_or_404(request, object_id)
        if request.method == "POST":
            try:
                reporter_verify(actor=request.user, account=account)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"Verified: {account.user.get_username()} can now file requests, and has "
                                           f"been told by e-mail at {account.work_email}.",
                                  messages.SUCCESS)
            return HttpResponseRedirect(_pending_changelist())
        return TemplateResponse(request, "filing/admin/reporter_verify.html", self._context(
            request, title=f"Verify {account.user.get_username()}", account=account))

    def reject_view(self, request, object_id):
        account = self._account_or_404(request, object_id)
        form = RejectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reporter_reject(actor=request.user, account=account, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                for name, problems in exc.fields.items():
                    form.add_error("reason" if name == "reason" else None, problems)
                if not exc.fields:
                    self.message_user(request, exc.message, messages.ERROR)
                    return HttpResponseRedirect(_pending_changelist())
            else:
                self.message_user(request, f"Rejected: {account.user.get_username()} has been told why by e-mail "
                                           f"at {account.work_email}.", messages.SUCCESS)
                return HttpResponseRedirect(_pending_changelist())
        return TemplateResponse(request, "filing/admin/reporter_reject.html", self._context(
            request, title=f"Reject {account.user.get_username()}", accounts=[account], form=form, bulk=False))

    @admin.action(description="Verify selected reporter accounts", permissions=["verify"])
    def verify_selected(self, request, queryset):
        self._apply_each(request, queryset, lambda account: reporter_verify(actor=request.user, account=account),
                         "verified")

    @admin.action(description="Reject selected reporter accounts (asks for a reason)", permissions=["verify"])
    def reject_selected(self, request, queryset):
        form = RejectionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._apply_each(request, queryset,
                             lambda account: reporter_reject(actor=request.user, account=account, reason=reason),
                             "rejected")
            return None
        return TemplateResponse(request, "filing/admin/reporter_reject.html", self._context(
            request, title="Reject reporter accounts", accounts=list(queryset.select_related("user", "agency")),
            form=form, bulk=True, action_checkbox_name=ACTION_CHECKBOX_NAME))

    def _apply_each(self, request, queryset, act, done_word: str) -> None:
        done, refused = [], []
        for account in queryset.select_related("user", "agency").order_by("pk"):
            try:
                act(account)
                done.append(account.user.get_username())
            except DomainError as exc:
                refused.append(f"{account.user.get_username()}: {exc.message}")
        if done:
            self.message_user(request, f"{len(done)} account(s) {done_word} and told by e-mail: {', '.join(done)}.",
                              messages.SUCCESS)
        for problem in refused:
            self.message_user(request, problem, messages.ERROR)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "jurisdiction", "authority_type", "state", "reporters")
    list_filter = ("state", "jurisdiction", "authority_type")
    search_fields = ("name", "code")
    list_select_related = ("jurisdiction",)
    ordering = ("jurisdiction_id", "name")

    def get_readonly_fields(self, request, obj=None):
        # A proposal is accepted or turned down with its registrant's account (audited), never by editing.
        return ("state", "code", "jurisdiction") if obj is not None else ("state",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            reporter_total=Count("reporter_accounts"),
            pending_total=Count("reporter_accounts", filter=Q(reporter_accounts__verification=Verification.PENDING)),
        )

    @admin.display(description="Reporter accounts", ordering="reporter_total")
    def reporters(self, agency: Agency) -> str:
        link = reverse("admin:reports_reporteraccount_changelist") + f"?q={agency.code}"
        if agency.pending_total:
            return format_html('<a href="{}">{} ({} pending)</a>', link, agency.reporter_total, agency.pending_total)
        return format_html('<a href="{}">{}</a>', link, agency.reporter_total)
