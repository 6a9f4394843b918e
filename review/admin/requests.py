"""The request list and the request page: where reviewers triage, claim and decide.

Nothing on a request is edited through a model form. Every change is an action
with its own URL, POSTed with a CSRF token, that checks the permission and calls
one service (review.services), which enforces the workflow and writes the audit event.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince, timeuntil

from audit.stamps import StampedCountPaginator
from reports.errors import DomainError
from reports.forms import add_domain_errors
from reports.models import Evidence, Queue, Status, TakedownRequest
from reports.roles import reviewer_may_work
from reports.tenancy import exercise_for_user
from review import selectors, services
from review.admin.filters import ClaimFilter, PriorityFilter, SlaFilter, StatusFilter
from review.admin.forms import AskInfoForm, DecisionForm, EscalateForm
from review.models import Decision
from review.timeline import request_timeline

REVIEW_PERMISSION = "reports.review_takedownrequest"
AGENCY_NAME_CHARS = 32  # how much of an agency's name the request list shows
EVIDENCE_PERMISSION = "reports.view_evidence"


def verdict_badge(label: str, verdict: str | None):
    """A check's verdict; review/static/review/admin.css colours it by its data-verdict."""
    return format_html('<span class="crs-verdict" data-verdict="{}">{}: {}</span>', verdict or "", label,
                       (verdict or "—").replace("_", " "))


@admin.register(TakedownRequest)
class TakedownRequestAdmin(admin.ModelAdmin):
    list_display = ("reference", "priority", "sla_due", "queue", "status", "requester", "category", "asks",
                    "item_total", "findings", "claimed_by")
    list_display_links = ("reference",)
    # Filter choices come from the small tables (and the rules' priorities), never from a
    # DISTINCT over the requests: that read the whole table on every page view.
    list_filter = (StatusFilter, "queue", ("priority", PriorityFilter), SlaFilter, ClaimFilter,
                   ("agency__jurisdiction", admin.RelatedFieldListFilter),
                   ("agency", admin.RelatedFieldListFilter), "category")
    list_select_related = ("agency__jurisdiction", "claimed_by")
    search_fields = ("reference", "agency__name", "external_id")
    # Most urgent first; requests without a queue (screening, decided) after those waiting.
    ordering = (F("priority").asc(nulls_last=True), F("sla_due_at").asc(nulls_last=True))
    list_per_page = 50
    # One count of the filtered list, cached until the record changes (reports/pagination.py);
    # not a second count of everything.
    show_full_result_count = False
    actions = None
    change_list_template = "admin/review/takedownrequest/change_list.html"
    change_form_template = "admin/review/takedownrequest/change_form.html"
    # What the reviewer reads first; the rest of the record folds away (the review panel repeats its essentials).
    fieldsets = (
        ("What is asked", {"fields": ("agency", "jurisdiction", "authority_type", "category", "requested_action",
                                      "urgency", "confidentiality", "justification")}),
        ("Record", {"classes": ("collapse",),
                    "fields": ("reference", "status", "outcome", "queue", "priority", "sla_due", "claim",
                               "submission_method", "submitted_at", "external_id")}),
        ("Workflow", {"classes": ("collapse",),
                      "fields": ("workflow_version", "rules_version", "screening_round", "review_round",
                                 "routed_at", "decided_at", "closed_at")}),
    )
    readonly_fields = ("sla_due", "claim", "jurisdiction", "confidentiality")

    class Media:
        css = {"all": ("review/admin.css",)}

    # --- Who may do what -----------------------------------------------------------------

    def has_add_permission(self, request):
        return False  # requesters file through the portal and the API, never here

    def has_change_permission(self, request, obj=None):
        return False  # every change is a workflow action below, never a form edit

    def has_delete_permission(self, request, obj=None):
        return False  # the record of a request is kept whole

    def _require(self, request, permission: str) -> None:
        if not request.user.has_perm(permission):
            raise PermissionDenied

    def _exercise(self, request):
        # Asked by the list, each of its filters and the queue counts: look it up once per request.
        if not hasattr(request, "crs_exercise"):
            request.crs_exercise = exercise_for_user(request.user)
        return request.crs_exercise

    # --- Lists ---------------------------------------------------------------------------

    def get_queryset(self, request):
        return selectors.requests_for_review(exercise=self._exercise(request))

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return StampedCountPaginator(queryset, per_page, orphans, allow_empty_first_page,
                                     exercise=self._exercise(request))

    @admin.display(description="SLA due", ordering="sla_due_at")
    def sla_due(self, obj):
        if obj.sla_due_at is None:
            return "—"
        state = selectors.sla_state(obj)
        when = date_format(timezone.localtime(obj.sla_due_at), "DATETIME_FORMAT")
        if state == "overdue":
            return format_html('<span class="crs-sla crs-sla--overdue" title="{}">Overdue by {}</span>', when,
                               timesince(obj.sla_due_at, depth=1))
        if state == "due_today":
            return format_html('<span class="crs-sla crs-sla--today" title="{}">Due in {}</span>', when,
                               timeuntil(obj.sla_due_at, depth=1))
        return format_html('<span class="crs-sla" title="{}">{}</span>', when, when)

    @admin.display(description="Requester", ordering="agency__name")
    def requester(self, obj):
        # Long official names would wrap to six lines: shortened, whole in the tooltip.
        name = obj.agency.name
        short = name if len(name) <= AGENCY_NAME_CHARS else name[:AGENCY_NAME_CHARS - 1].rstrip() + "…"
        return format_html('<span title="{}">{}</span> ({})', f"{name}, {obj.agency.jurisdiction.name}", short,
                           obj.agency.jurisdiction_id)

    @admin.display(description="Asks to", ordering="requested_action")
    def asks(self, obj):
        if obj.requested_action == "restrict_in_jurisdiction":
            return f"Restrict in {obj.agency.jurisdiction.name}"
        return obj.get_requested_action_display() or "Not stated"

    @admin.display(description="Jurisdiction", ordering="agency__jurisdiction_id")
    def jurisdiction(self, obj):
        return obj.agency.jurisdiction.name

    @admin.display(description="Confidentiality")
    def confidentiality(self, obj):
        # A sentence, not a yes/no icon beside the field's help text, which read as a fact either way.
        if obj.confidentiality_requested:
            return "Asked: the requester asks that the affected user not be told."
        return "Not asked: the affected user is told who asked."

    @admin.display(description="Items")
    def item_total(self, obj):
        return getattr(obj, "item_count", None)

    @admin.display(description="Automated findings")
    def findings(self, obj):
        return format_html("{} {} {}", verdict_badge("policy", getattr(obj, "policy_verdict", None)),
                           verdict_badge("law", getattr(obj, "law_verdict", None)),
                           verdict_badge("HR risk", getattr(obj, "risk", None)))

    @admin.display(description="Claim")
    def claim(self, obj):
        if obj.claimed_by_id is None:
            return "Unclaimed" if obj.status == Status.QUEUED else "—"
        since = date_format(timezone.localtime(obj.claimed_at), "DATETIME_FORMAT")
        return f"{obj.claimed_by.get_username()} since {since}"

    def changelist_view(self, request, extra_context=None):
        context = dict(extra_context or {})
        queue = request.GET.get("queue__exact", "")
        if queue in Queue.values and request.user.has_perm(REVIEW_PERMISSION) \
                and reviewer_may_work(request.user, queue):
            context["claim_next_queue"] = Queue(queue)
        context["review_queues"] = selectors.queue_overview(exercise=self._exercise(request), user=request.user)
        return super().changelist_view(request, extra_context=context)

    # --- The request page ----------------------------------------------------------------

    def get_object(self, request, object_id, from_field=None):
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            return None
        return selectors.request_for_review(exercise=self._exercise(request), pk=pk)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            user = request.user
            holds = obj.status == Status.IN_REVIEW and obj.claimed_by_id == user.pk
            can_review = user.has_perm(REVIEW_PERMISSION)
            context.update(selectors.request_page(obj))
            context.update({
                "req": obj,
                "timeline": request_timeline(obj, staff=True),
                "sla_state": selectors.sla_state(obj),
                "holds_claim": holds and can_review,
                "can_claim": can_review and obj.status == Status.QUEUED and obj.claimed_by_id is None
                and reviewer_may_work(user, obj.queue),
                "can_view_evidence": user.has_perm(EVIDENCE_PERMISSION),
                "escalation_targets": [Queue(q) for q in services.ESCALATION_TARGETS if q != obj.queue],
            })
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # --- Actions -------------------------------------------------------------------------

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        name = "reports_takedownrequest"
        return [
            path("claim-next/<str:queue>/", wrap(self.claim_next_view), name=f"{name}_claim_next"),
            path("<int:object_id>/claim/", wrap(self.claim_view), name=f"{name}_claim"),
            path("<int:object_id>/release/", wrap(self.release_view), name=f"{name}_release"),
            path("<int:object_id>/items/<int:item_id>/decide/", wrap(self.decide_view), name=f"{name}_decide"),
            path("<int:object_id>/ask-info/", wrap(self.ask_info_view), name=f"{name}_ask_info"),
            path("<int:object_id>/escalate/", wrap(self.escalate_view), name=f"{name}_escalate"),
            path("<int:object_id>/evidence/<int:evidence_id>/", wrap(self.evidence_view), name=f"{name}_evidence"),
            *super().get_urls(),
        ]

    def _page_url(self, obj) -> str:
        return reverse("admin:reports_takedownrequest_change", args=[obj.pk])

    def _request_or_404(self, request, object_id) -> TakedownRequest:
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404("No such request in this exercise.")
        return obj

    def claim_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._require(request, REVIEW_PERMISSION)
        obj = self._request_or_404(request, object_id)
        try:
            services.request_claim(reviewer=request.user, request=obj)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"You hold {obj.reference}; no one else can decide it until you release it.",
                              messages.SUCCESS)
        return redirect(self._page_url(obj))

    def release_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._require(request, REVIEW_PERMISSION)
        obj = self._request_or_404(request, object_id)
        try:
            services.request_release(reviewer=request.user, request=obj)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect(self._page_url(obj))
        self.message_user(request, f"{obj.reference} is back in the {Queue(obj.queue).label.lower()} queue.",
                          messages.SUCCESS)
        return redirect(reverse("admin:reports_takedownrequest_changelist") + f"?queue__exact={obj.queue}&status=open")

    def claim_next_view(self, request, queue):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._require(request, REVIEW_PERMISSION)
        if queue not in Queue.values:
            raise Http404("No such queue.")
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = reverse("admin:index")
        try:
            claimed = services.request_claim_next(reviewer=request.user, queue=queue)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect(back)
        if claimed is None:
            self.message_user(request, f"No unclaimed request waits in the {Queue(queue).label.lower()} queue.",
                              messages.INFO)
            return redirect(back)
        self.message_user(request, f"You hold {claimed.reference}, the most urgent request of the "
                                   f"{Queue(queue).label.lower()} queue.", messages.SUCCESS)
        return redirect(self._page_url(claimed))

    def _action_page(self, request, obj, template: str, context: dict):
        page = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "req": obj,
            "title": context.pop("title"),
            "media": self.media,
            **context,
        }
        return TemplateResponse(request, template, page)

    def _must_hold(self, request, obj) -> bool:
        if obj.status == Status.IN_REVIEW and obj.claimed_by_id == request.user.pk:
            return True
        self.message_user(request, f"Claim {obj.reference} before acting on it.", messages.ERROR)
        return False

    def decide_view(self, request, object_id, item_id):
        self._require(request, REVIEW_PERMISSION)
        obj = self._request_or_404(request, object_id)
        item = next((i for i in obj.items.all() if i.pk == item_id), None)
        if item is None:
            raise Http404("No such item in this request.")
        if request.method == "GET" and not self._must_hold(request, obj):
            return redirect(self._page_url(obj))
        warnings = selectors.decision_warnings(request=obj, item=item, user=request.user)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            action = form.cleaned_data["action"]
            contradictions = next((w["contradictions"] for w in warnings if w["action"] == action), [])
            if contradictions and not form.cleaned_data["confirm_contradiction"]:
                form.add_error("confirm_contradiction", "This decision goes against the automated findings ("
                               + "; ".join(contradictions) + "): tick the box to confirm it.")
            else:
                try:
                    decision = services.item_decide(reviewer=request.user, item=item, action=action,
                                                    reason_code=form.cleaned_data["reason_code"],
                                                    rationale=form.cleaned_data["rationale"])
                except DomainError as exc:
                    add_domain_errors(form, exc)
                else:
                    obj.refresh_from_db(fields=["status", "outcome"])
                    text = f"Item {item.position}: {Decision.Action(decision.action).label}."
                    if obj.status == Status.DECIDED:
                        text += (f" {obj.reference} is decided: {obj.get_outcome_display().lower()}; "
                                 "the requester has been told.")
                    self.message_user(request, text, messages.SUCCESS)
                    return redirect(self._page_url(obj))
        page = selectors.request_page(obj)
        item_view = next(view for view in page["items"] if view.item.pk == item.pk)
        return self._action_page(request, obj, "admin/review/takedownrequest/decide.html", {
            "title": f"Decide item {item.position} of {obj.reference}",
            "form": form, "item_view": item_view, "warnings": warnings, "countries": page["countries"],
            "checks": [c for c in obj.check_results.all() if c.round == obj.screening_round],
        })

    def ask_info_view(self, request, object_id):
        self._require(request, REVIEW_PERMISSION)
        obj = self._request_or_404(request, object_id)
        if request.method == "GET" and not self._must_hold(request, obj):
            return redirect(self._page_url(obj))
        form = AskInfoForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.request_ask_info(reviewer=request.user, request=obj, message=form.cleaned_data["message"])
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                self.message_user(request, f"The requester has been asked; {obj.reference} waits for their answer.",
                                  messages.SUCCESS)
                return redirect(self._page_url(obj))
        return self._action_page(request, obj, "admin/review/takedownrequest/ask_info.html", {
            "title": f"Ask the requester of {obj.reference} for information", "form": form})

    def escalate_view(self, request, object_id):
        self._require(request, REVIEW_PERMISSION)
        obj = self._request_or_404(request, object_id)
        if request.method == "GET" and not self._must_hold(request, obj):
            return redirect(self._page_url(obj))
        form = EscalateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                escalated = services.request_escalate(reviewer=request.user, request=obj,
                                                      to_queue=form.cleaned_data["to_queue"],
                                                      note=form.cleaned_data["note"])
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                label = Queue(escalated.queue).label.lower()
                self.message_user(request, f"{obj.reference} waits in the {label} queue for that tier.",
                                  messages.SUCCESS)
                return redirect(reverse("admin:reports_takedownrequest_changelist")
                                + f"?queue__exact={escalated.queue}&status=open")
        return self._action_page(request, obj, "admin/review/takedownrequest/escalate.html", {
            "title": f"Escalate {obj.reference}", "form": form})

    def evidence_view(self, request, object_id, evidence_id):
        """Evidence is private: only staff allowed to see evidence get the file, as a download."""
        self._require(request, EVIDENCE_PERMISSION)
        obj = self._request_or_404(request, object_id)
        evidence = Evidence.objects.filter(request=obj, pk=evidence_id).first()
        if evidence is None:
            raise Http404("No such evidence on this request.")
        return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name,
                            content_type=evidence.content_type)
