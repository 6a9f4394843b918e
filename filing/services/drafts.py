"""Filing through the web form: a draft is saved as often as the reporter likes, then submitted."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit import events
from filing.inputs import Catalog, RequestInput, request_as_input, validate_input
from filing.selectors import request_stated_rows
from filing.services.storing import (
    fields_apply,
    item_snapshot_take,
    items_store,
    new_citations,
    new_item,
    new_items,
    own_request_locked,
    provisions_cite,
    request_id_take,
    request_insert,
    require_can_file,
    snapshots_write,
    stated_rows_replace,
)
from reports import transitions
from reports.models import (
    ContentItem,
    ReporterAccount,
    Status,
    SubmissionMethod,
    TakedownRequest,
)
from review import dispatch


def request_draft_save(*, reporter: ReporterAccount, data: RequestInput,
                       draft: TakedownRequest | None = None) -> TakedownRequest:
    """Create or update a draft. Drafts may be incomplete; they are checked in full on submit."""
    require_can_file(reporter)
    with transaction.atomic():
        resolved = validate_input(data, exercise=reporter.exercise, draft=True)
        if draft is not None:
            draft = own_request_locked(reporter, draft)
            if draft.status != Status.DRAFT:
                raise transitions.IllegalTransition(f"{draft.reference} is no longer a draft.")
            fields_apply(draft, data)
            draft.last_activity_at = timezone.now()
            stated_rows_replace(draft, resolved)
            return draft
        draft = TakedownRequest(
            exercise=reporter.exercise, agency=reporter.agency, authority_type=reporter.agency.authority_type,
            submitted_by=reporter.user, submission_method=SubmissionMethod.FORM, status=Status.DRAFT,
        )
        fields_apply(draft, data)
        if request_id_take(draft):
            # The draft, its items and citations are written with its event: one statement (audit/events.py).
            items, citations = new_items(draft, resolved), new_citations(draft, resolved.provisions)
            draft.item_count = len(items)
            events.request_drafted_event(request=draft, actor=reporter.user,
                                         written_with=[[draft], items, citations])
            return draft
        request_insert(draft)
        events.request_drafted_event(request=draft, actor=reporter.user)
        items_store(draft, resolved)
        provisions_cite(draft, resolved.provisions)
    return draft


def draft_add_content(*, reporter: ReporterAccount, content: ContentItem) -> TakedownRequest:
    """The platform's "Report" button: add a post to the reporter's open draft (creating one)."""
    require_can_file(reporter)
    with transaction.atomic():
        draft = (TakedownRequest.objects.select_for_update()
                 .filter(agency=reporter.agency, submitted_by=reporter.user, status=Status.DRAFT)
                 .order_by("-created_at").first())
        if draft is None:
            draft = request_draft_save(reporter=reporter, data=RequestInput())
        if not draft.items.filter(content=content).exists():
            last = draft.items.order_by("-position").values_list("position", flat=True).first() or 0
            new_item(draft, last + 1, content).save()
            TakedownRequest.objects.filter(pk=draft.pk).update(last_activity_at=timezone.now())
    return draft


def request_submit(*, reporter: ReporterAccount, draft: TakedownRequest) -> TakedownRequest:
    """Submit a draft: validate it in full, snapshot its items, and send it to screening."""
    require_can_file(reporter)
    with transaction.atomic():
        # The submitted event names the agency, exercise and submitter: they are read with the row (locking only it).
        draft = own_request_locked(reporter, draft)
        # The draft's items and citations are read once: to check them and to snapshot the posts.
        items, citations, evidence = request_stated_rows(draft)
        resolved = validate_input(request_as_input(draft, items=items, citations=citations),
                                  exercise=reporter.exercise,
                                  catalog=Catalog.stored(items, citations, exercise=reporter.exercise))
        # The draft's row is locked and was read in this transaction: its status is checked here (apply_each).
        transitions.apply_each([(draft, "submit", {"submitted_at": timezone.now()})])
        # Snapshots are taken again at submission: what counts is the post as it was when filed.
        items = [item_snapshot_take(item) for item in items]
        snapshots_write(items)
        events.request_submitted_event(request=draft, actor=reporter.user, items=items, provisions=resolved.provisions,
                                       evidence=evidence)
        dispatch.screening_enqueue_on_commit([draft.pk])
    return draft
