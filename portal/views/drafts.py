"""Filing through the web form: a draft is edited, reviewed, then submitted.

The draft is stored on every save, so nothing typed is lost when something is
refused: the page comes back with the same values and the problem next to its field.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from filing.inputs import RequestInput, request_as_input
from filing.selectors import provisions_for_jurisdiction, request_for_reporter
from filing.services import evidence_attach, request_draft_save, request_submit
from portal.forms import REQUEST_FIELDS, DraftForm, draft_initial, item_from_text
from portal.views.common import own_request_or_404, reporter_view
from reports.completeness import missing_for_review, missing_to_file
from reports.errors import DomainError, IllegalTransition, InvalidInput, NotAllowed
from reports.forms import add_domain_errors
from reports.models import Status
from review.rules import active_rules


@reporter_view
@require_POST
def draft_new(request):
    if not request.reporter.exercise.is_open:
        messages.info(request, "The exercise is not open: no new request can be started.")
        return redirect("portal:dashboard")
    draft = request_draft_save(reporter=request.reporter, data=RequestInput())
    return redirect("portal:draft-edit", draft.reference)


def draft_view(view):
    """For the reporter's own drafts only: a request that is no longer a draft is shown on its own page instead."""
    @wraps(view)
    def wrapper(request, reference: str):
        draft = own_request_or_404(request.reporter, reference)
        if draft.status != Status.DRAFT:
            messages.info(request, f"{draft.reference} is {draft.get_status_display().lower()}; only drafts can be "
                                   "edited.")
            return redirect("portal:request-detail", draft.reference)
        if not draft.exercise.is_open:
            messages.info(request, f"The draft {draft.reference} is kept, but the exercise is not open: "
                                   "it cannot be changed or sent.")
            return redirect("portal:dashboard")
        return view(request, draft)
    return wrapper


def _form_data(data: RequestInput) -> QueryDict:
    """A stored draft as the form would post it, to show a submission's errors against it."""
    initial = draft_initial(data)
    query = QueryDict(mutable=True)
    for name, value in initial.items():
        if name == "legal_basis":
            query.setlist(name, value)
        elif name == "confidentiality_requested":
            if value:
                query[name] = "on"
        elif value is not None:
            query[name] = value.isoformat() if hasattr(value, "isoformat") else value
    query.setdefault("evidence_kind", "supporting")
    return query


def _render_edit(request, draft, form, *, status: int = 200, saved_note: str = ""):
    items = list(draft.items.select_related("content__author"))
    return render(request, "portal/draft_edit.html", {
        "account": request.reporter, "draft": draft, "form": form, "items": items, "saved_note": saved_note,
        "provisions": _provisions(request.reporter), "evidence": list(draft.evidence.all()),
    }, status=status)


def _provisions(account):
    return list(provisions_for_jurisdiction(account.agency.jurisdiction_id))


def _missing_for_submit(data: RequestInput) -> dict[str, str]:
    return missing_to_file(item_count=len(data.items), category=data.category)


# How the draft's preview words what the completeness check would ask for; other parts in the check's words.
PREVIEW_WORDS = {
    "legal_basis": "You cite no legal provision and no court order.",
    "requested_action": "You do not say whether the content should be removed globally or restricted in your "
                        "jurisdiction.",
}


def _review_warnings(draft, data: RequestInput) -> list[str]:
    """What the completeness check would send back for, were the draft sent as it is."""
    missing = missing_for_review(
        items=[(item.position, item.content_id is not None, item.url) for item in draft.items.all()],
        has_legal_basis=bool(data.legal_basis), has_court_order=draft.has_court_order,
        justification_chars=len(data.justification.strip()), requested_action=data.requested_action,
        min_justification_chars=active_rules().justification_min_chars)
    warnings = []
    for part in missing:
        if part["field"] == "justification" and not data.justification.strip():
            warnings.append("You give no justification.")
        else:
            warnings.append(PREVIEW_WORDS.get(part["field"], part["message"]))
    return warnings


@reporter_view
@draft_view
def draft_edit(request, draft):
    account = request.reporter
    jurisdiction = account.agency.jurisdiction_id
    current = request_as_input(draft)
    if request.method != "POST":
        return _render_edit(request, draft, DraftForm(initial=draft_initial(current), jurisdiction=jurisdiction))

    form = DraftForm(request.POST, request.FILES, jurisdiction=jurisdiction)
    action = request.POST.get("action", "save")
    if not form.is_valid():
        if form.cleaned_data.get("evidence") or request.FILES.get("evidence"):
            form.add_error("evidence", "Choose the file again: nothing was uploaded because of the problems above.")
        return _render_edit(request, draft, form, status=400)

    items = list(current.items)
    remove = request.POST.get("remove_item", "")
    if remove.isdigit() and 1 <= int(remove) <= len(items):
        del items[int(remove) - 1]
        action = "remove"
    field_map = dict(REQUEST_FIELDS)
    added = form.cleaned_data.get("add_item", "").strip()
    if added:
        new = item_from_text(added)
        if any((i.content_id or i.url).lower() == (new.content_id or new.url).lower() for i in items):
            form.add_error("add_item", f"{added} is already in this draft.")
            return _render_edit(request, draft, form, status=400)
        items.append(new)
        # The new item's errors (an unknown id, a malformed URL) belong next to the box it was typed in.
        field_map[f"items.{len(items) - 1}"] = "add_item"

    data = form.to_input(items)
    try:
        draft = request_draft_save(reporter=account, data=data, draft=draft)
    except DomainError as exc:
        add_domain_errors(form, exc, field_map)
        return _render_edit(request, draft, form, status=400)

    upload = form.cleaned_data.get("evidence")
    if upload is not None:
        try:
            evidence = evidence_attach(reporter=account, request=draft, upload=upload,
                                       kind=form.cleaned_data["evidence_kind"])
        except DomainError as exc:
            # The rest of the form is saved; show it as saved, with the file's problem next to the file box.
            saved = DraftForm(_form_data(request_as_input(draft)), jurisdiction=jurisdiction)
            saved.is_valid()
            add_domain_errors(saved, exc, REQUEST_FIELDS)
            return _render_edit(request, draft, saved, status=400,
                                saved_note="Everything else you entered is saved in the draft.")
        messages.success(request, f"{evidence.original_name} is attached ({evidence.get_kind_display().lower()}).")

    if action == "review":
        missing = _missing_for_submit(data)
        if missing:
            saved = DraftForm(_form_data(request_as_input(draft)), jurisdiction=jurisdiction)
            saved.is_valid()
            add_domain_errors(saved, InvalidInput({name: [text] for name, text in missing.items()}))
            return _render_edit(request, draft, saved, status=400,
                                saved_note="Your changes are saved in the draft: fill in these parts to send it.")
        return redirect("portal:draft-review", draft.reference)
    if action == "save":
        messages.success(request, f"Draft {draft.reference} saved.")
    return redirect("portal:draft-edit", draft.reference)


@reporter_view
@draft_view
def draft_review(request, draft):
    return _render_review(request, draft.reference)


def _render_review(request, reference: str, *, error: str = "", status: int = 200):
    draft = request_for_reporter(reporter=request.reporter, reference=reference)
    data = request_as_input(draft)
    warnings = _review_warnings(draft, data)
    return render(request, "portal/draft_review.html", {
        "account": request.reporter, "draft": draft, "warnings": warnings, "error": error,
        "missing": _missing_for_submit(data),
    }, status=status)


@reporter_view
@require_POST
@draft_view
def draft_submit(request, draft):
    account = request.reporter
    try:
        submitted = request_submit(reporter=account, draft=draft)
    except NotAllowed as exc:
        return _render_review(request, draft.reference, error=exc.message, status=403)
    except IllegalTransition as exc:
        messages.info(request, exc.message)
        return redirect("portal:request-detail", draft.reference)
    except InvalidInput as exc:
        form = DraftForm(_form_data(request_as_input(draft)), jurisdiction=account.agency.jurisdiction_id)
        form.is_valid()
        add_domain_errors(form, exc, REQUEST_FIELDS)
        return _render_edit(request, draft, form, status=400)
    messages.success(request, f"{submitted.reference} is submitted. Automated screening starts now; this page "
                              "shows each step as it happens.")
    return redirect("portal:request-detail", submitted.reference)
