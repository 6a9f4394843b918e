"""A request's page: where it stands, why, what was decided, and what the requester can do next."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from audit import receipts
from audit.models import AuditEvent
from filing import services
from filing.inputs import request_as_input
from filing.selectors import latest_decisions, provisions_for_jurisdiction
from filing.services import EVIDENCE_OPEN_STATES, MAX_RECONSIDERATIONS
from portal import selectors as portal_selectors
from portal.forms import REQUEST_FIELDS, EvidenceForm, ReconsiderForm, RespondForm, WithdrawForm
from portal.views.common import own_request_or_404, reporter_view
from reports import transitions
from reports.errors import DomainError, InvalidInput
from reports.forms import add_domain_errors
from reports.models import RequestMessage, Status, TakedownRequest
from review.timeline import request_timeline

# How often a request's page asks whether anything changed (it stops once the request is final).
POLL_INTERVAL_MS = 2000


def poll_interval_ms() -> int:
    return int(getattr(settings, "CRS_PORTAL_POLL_MS", POLL_INTERVAL_MS))


def available_actions(req: TakedownRequest) -> list[str]:
    """What the reporter can do with the request now; nothing once its exercise is closed (or not yet open)."""
    if not req.exercise.is_open:
        return []
    actions = []
    if transitions.can("respond", req.status):
        actions.append("respond")
    if req.status != Status.DRAFT and transitions.can("withdraw", req.status):
        actions.append("withdraw")
    if req.status == Status.DECIDED and req.review_round <= MAX_RECONSIDERATIONS:
        actions.append("reconsider")
    if req.status != Status.DRAFT and req.status in EVIDENCE_OPEN_STATES:
        actions.append("evidence")
    return actions


def live_state(req: TakedownRequest) -> dict:
    """What the page shows that can change on its own; ``key`` changes whenever any of it does."""
    last_event = AuditEvent.objects.filter(request=req).order_by("-id").values_list("id", flat=True).first() or 0
    position = portal_selectors.queue_position(req)
    return {
        "reference": req.reference,
        "status": req.status,
        "status_label": req.get_status_display(),
        "queue": req.queue,
        "queue_label": req.get_queue_display() if req.queue else "",
        "queue_position": position,
        "priority": req.priority,
        "sla_due_at": req.sla_due_at.isoformat() if req.sla_due_at else None,
        "sla_breached": req.sla_breached,
        "outcome": req.outcome,
        "outcome_label": req.get_outcome_display() if req.outcome else "",
        "last_event": last_event,
        "actions": available_actions(req),
        "final": req.status in portal_selectors.FINAL_STATUSES,
        "key": f"{req.status}:{last_event}:{position or 0}",
    }


def _render_detail(request, req: TakedownRequest, *, status: int = 200, **bound_forms):
    account = request.reporter
    jurisdiction = account.agency.jurisdiction_id
    current = request_as_input(req)
    decisions = latest_decisions(req)
    timeline = request_timeline(req)
    state = live_state(req)
    thread = list(req.messages.all())
    forms = {
        "respond_form": RespondForm(prefix="respond", initial=RespondForm.initial_from(current),
                                    jurisdiction=jurisdiction),
        "withdraw_form": WithdrawForm(prefix="withdraw", jurisdiction=jurisdiction),
        "reconsider_form": ReconsiderForm(prefix="reconsider", jurisdiction=jurisdiction),
        "evidence_form": EvidenceForm(prefix="evidence", jurisdiction=jurisdiction),
    }
    forms.update(bound_forms)
    respond_form = forms["respond_form"]
    asked_fields = respond_form.asked_fields(req.missing_parts or [])
    return render(request, "portal/request_detail.html", {
        "account": account, "req": req, "state": state, "timeline": timeline,
        "receipt_events": receipts.receipt_events(request_id=req.pk),
        "checks": [r for r in req.check_results.all() if r.round == req.screening_round],
        "items": [(item, decisions.get(item.pk)) for item in req.items.all()],
        "citations": list(req.citations.all()),
        "thread": thread,
        "asked": next((m for m in reversed(thread) if m.kind == RequestMessage.Kind.INFO_REQUEST), None),
        "jurisdiction_provisions": list(provisions_for_jurisdiction(jurisdiction)),
        "evidence": list(req.evidence.all()),
        "actions": state["actions"],
        "actions_key": ",".join(state["actions"]),
        "poll_ms": poll_interval_ms(),
        "can_reconsider_again": req.review_round <= MAX_RECONSIDERATIONS,
        "respond_asked": [respond_form[name] for name in asked_fields if name != "message"],
        "respond_other": [respond_form[name] for name in respond_form.fields
                          if name not in asked_fields and name != "message"],
        **forms,
    }, status=status)


@reporter_view
def request_detail(request, reference: str):
    req = own_request_or_404(request.reporter, reference, detail=True)
    if req.status == Status.DRAFT:
        return redirect("portal:draft-edit", req.reference)
    return _render_detail(request, req)


@never_cache
@reporter_view
@require_GET
def request_status(request, reference: str):
    req = own_request_or_404(request.reporter, reference)
    return JsonResponse(live_state(req))


def _refused(request, req, exc: DomainError, form_name: str, form, field_map: dict | None = None):
    """Field problems go next to the fields (the typed text stays); a refused transition is said at the top."""
    if isinstance(exc, InvalidInput) and exc.fields:
        add_domain_errors(form, exc, field_map)
        fresh = own_request_or_404(request.reporter, req.reference, detail=True)
        return _render_detail(request, fresh, status=400, **{form_name: form})
    messages.error(request, exc.message)
    return redirect("portal:request-detail", req.reference)


def _action(name: str, form_class, *, act, done: str, field_map: dict | None = None):
    """A view for one action on the request page: bind its form, call the service, say what happened.

    ``act(account, req, form)`` calls the service with the valid form; ``done`` is what the reporter
    is told (``{reference}`` and, for an upload, ``{file}`` filled in). A form's own problems and a
    service's field problems come back next to the fields, with what was typed; a refused transition
    is said at the top of the page.
    """
    @reporter_view
    @require_POST
    def view(request, reference: str):
        account = request.reporter
        req = own_request_or_404(account, reference)
        form = form_class(request.POST, request.FILES, prefix=name, jurisdiction=account.agency.jurisdiction_id)
        if not form.is_valid():
            return _render_detail(request, own_request_or_404(account, reference, detail=True), status=400,
                                  **{f"{name}_form": form})
        try:
            result = act(account, req, form)
        except DomainError as exc:
            return _refused(request, req, exc, f"{name}_form", form, field_map)
        messages.success(request, done.format(reference=req.reference, file=getattr(result, "original_name", "")))
        return redirect("portal:request-detail", req.reference)
    return view


request_respond = _action(
    "respond", RespondForm, field_map=REQUEST_FIELDS,
    act=lambda account, req, form: services.request_respond(
        reporter=account, request=req, message=form.cleaned_data["message"],
        changes=form.changes(request_as_input(req))),
    done="Your answer is sent. The request goes through the automated checks again.")

request_withdraw = _action(
    "withdraw", WithdrawForm,
    act=lambda account, req, form: services.request_withdraw(
        reporter=account, request=req, reason=form.cleaned_data["reason"]),
    done="{reference} is withdrawn. It stays in the record as withdrawn.")

request_reconsider = _action(
    "reconsider", ReconsiderForm,
    act=lambda account, req, form: services.request_reconsider(
        reporter=account, request=req, message=form.cleaned_data["message"]),
    done="Your request for reconsideration is sent. A reviewer will look at the request again.")

evidence_add = _action(
    "evidence", EvidenceForm, field_map=REQUEST_FIELDS,
    act=lambda account, req, form: services.evidence_attach(
        reporter=account, request=req, upload=form.cleaned_data["evidence"], kind=form.cleaned_data["evidence_kind"]),
    done="{file} is attached to {reference}.")


@login_required
def evidence_download(request, reference: str, evidence_id: int):
    evidence = portal_selectors.evidence_for_viewer(user=request.user, reference=reference, evidence_id=evidence_id)
    if evidence is None:
        raise Http404("No such evidence file, or not yours to see.")
    response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name,
                            content_type=evidence.content_type)
    response["Cache-Control"] = "private, no-store"
    return response



@reporter_view
@require_GET
def request_receipt(request, reference: str, event_id: int):
    """The requester's offline receipt for the request's submission or one of its decisions."""
    req = own_request_or_404(request.reporter, reference)
    return receipts.receipt_response(event=receipts.receipt_event(request_id=req.pk, event_id=event_id))
