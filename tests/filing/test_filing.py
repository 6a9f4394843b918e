"""The filing service: one way in for the form, the API, bulk and simulate."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from unittest import mock

import pytest
from django.db import connection

from audit.canonical import canonical_bytes
from audit.models import AuditEvent, PendingSeal
from filing.inputs import CourtOrderInput, ItemInput, RequestInput
from filing.services import request_draft_save, request_file, request_submit, requests_file_bulk
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.models import CitedProvision, RequestItem, Status, TakedownRequest
from tests.builders import request_input

pytestmark = pytest.mark.django_db
def valid(**overrides) -> RequestInput:
    return request_input("kz-0007", **{"court_order": None, **overrides})


def rows() -> tuple:
    return (TakedownRequest.objects.count(), RequestItem.objects.count(), CitedProvision.objects.count(),
            AuditEvent.objects.count())


def test_filing_stores_the_request_its_items_and_an_audit_event(kz_reporter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        request, created = request_file(reporter=kz_reporter, data=valid())

    assert created
    assert request.reference == f"CRS-{request.submitted_at.year}-{request.pk:06d}"
    assert (request.status, request.agency, request.authority_type) == (Status.SUBMITTED, kz_reporter.agency,
                                                                        "ministry")
    assert [c.provision.code for c in request.citations.all()] == ["KZ-CC-174"]
    event = AuditEvent.objects.get(request=request)
    assert event.event_type == "request_submitted"
    assert event.payload["provisions"] == ["KZ-CC-174"]
    assert len(callbacks) == 1, "screening is enqueued once, after commit"


def test_each_item_keeps_a_snapshot_and_hash_of_what_was_reported(kz_reporter):
    request, _ = request_file(reporter=kz_reporter, data=valid())
    item = request.items.get()
    original_text = item.content.text

    item.content.text = "Edited after the report."
    item.content.save()

    item.refresh_from_db()
    assert item.snapshot["text"] == original_text
    assert item.snapshot_sha256 == hashlib.sha256(canonical_bytes(item.snapshot)).hexdigest()


def test_an_item_may_be_named_by_its_url(kz_reporter):
    request, _ = request_file(reporter=kz_reporter, data=valid(
        items=[ItemInput(url="https://platform.example/p/kz-0007")]))

    assert request.items.get().content.code == "kz-0007"


def test_a_url_that_is_not_on_the_platform_is_stored_unresolved_for_completeness_to_report(kz_reporter):
    request, _ = request_file(reporter=kz_reporter, data=valid(items=[ItemInput(url="https://elsewhere.example/x")]))

    item = request.items.get()
    assert (item.content, item.url, item.snapshot) == (None, "https://elsewhere.example/x", {})


@pytest.mark.parametrize("data, fields", [
    (valid(items=[]), {"items": ["Name at least one item: a content id or a URL."]}),
    (valid(items=[ItemInput(content_id="kz-9999")]),
     {"items.0.content_id": ["No content with id 'kz-9999' on the platform."]}),
    (valid(items=[ItemInput(content_id="kz-0007", url="https://platform.example/p/kz-0007")]),
     {"items.0": ["Give either content_id or url, not both and not neither."]}),
    (valid(items=[ItemInput(content_id="kz-0007"), ItemInput(content_id="kz-0007")]),
     {"items.1": ["Duplicate of item 0: kz-0007 is already listed."]}),
    (valid(items=[ItemInput(url="not a url")]),
     {"items.0.url": ["Enter a full http(s) URL of at most 500 characters."]}),
    (valid(category="dissent"), {"category": ["Unknown category 'dissent'; use one of the documented codes."]}),
    (valid(category=""), {"category": ["Choose the reason category."]}),
    (valid(legal_basis=["KZ-CC-999"]),
     {"legal_basis.0": ["Unknown provision 'KZ-CC-999'; see /api/v1/jurisdictions/<code>/provisions/."]}),
    (valid(legal_basis=["KZ-CC-174", "KZ-CC-174"]), {"legal_basis": ["A provision is cited twice."]}),
    (valid(requested_action="ban_account"), {"requested_action": ["Use remove_globally or restrict_in_jurisdiction."]}),
    (valid(urgency="yesterday"), {"urgency": ["Use standard or imminent_harm."]}),
    (valid(court_order=CourtOrderInput(court="", case_number="1-2", date=None)),
     {"court_order.court": ["Name the court that issued the order."]}),
    (valid(court_order=CourtOrderInput(court="Almaty court", case_number="1-2", date=date(2999, 1, 1))),
     {"court_order.date": ["The order's date cannot be in the future."]}),
    (valid(justification="x" * 10_001), {"justification": ["At most 10000 characters."]}),
])
def test_bad_input_names_each_field_and_writes_nothing(kz_reporter, data, fields):
    before = rows()

    with pytest.raises(InvalidInput) as error:
        request_file(reporter=kz_reporter, data=data)

    assert error.value.fields == fields
    assert rows() == before


def test_several_problems_are_reported_together(kz_reporter):
    with pytest.raises(InvalidInput) as error:
        request_file(reporter=kz_reporter, data=valid(category="dissent", urgency="now", legal_basis=["XX-1"]))

    assert set(error.value.fields) == {"category", "urgency", "legal_basis.0"}


def test_an_incomplete_request_is_accepted_so_that_screening_can_say_what_is_missing(kz_reporter):
    request, created = request_file(reporter=kz_reporter, data=valid(legal_basis=[], justification="",
                                                                     requested_action=""))

    assert created and request.status == Status.SUBMITTED


def test_a_provision_of_another_country_may_be_cited_and_is_left_to_the_local_law_check(kz_reporter,
                                                                                        comparative_scenario):
    request, created = request_file(reporter=kz_reporter, data=valid(legal_basis=["DE-STGB-130"]))

    assert created
    assert [c.provision.jurisdiction_id for c in request.citations.all()] == ["DE"]


def test_the_same_external_id_returns_the_first_request_and_files_nothing(kz_reporter):
    first, created = request_file(reporter=kz_reporter, data=valid(external_id="MISD-2021-17"))
    before = rows()

    again, created_again = request_file(reporter=kz_reporter, data=valid(external_id="MISD-2021-17",
                                                                         justification="A different text this time."))

    assert created and not created_again
    assert again.pk == first.pk
    assert rows() == before


def test_another_agency_may_use_the_same_external_id(kz_reporter, kz_prosecutor):
    first, _ = request_file(reporter=kz_reporter, data=valid(external_id="2021-17"))

    second, created = request_file(reporter=kz_prosecutor, data=valid(external_id="2021-17"))

    assert created and second.pk != first.pk


def test_a_pending_reporter_cannot_file(pending_reporter):
    with pytest.raises(NotAllowed, match="Only verified reporter accounts can file requests; this account is "
                                         "pending verification."):
        request_file(reporter=pending_reporter, data=valid())
    assert TakedownRequest.objects.count() == 0


def test_a_rejected_reporter_cannot_file(pending_reporter):
    pending_reporter.verification = "rejected"
    pending_reporter.verification_note = "Not a government body."
    pending_reporter.save()

    with pytest.raises(NotAllowed):
        request_file(reporter=pending_reporter, data=valid())


def test_bulk_filing_is_all_or_nothing_with_errors_keyed_by_position(kz_reporter):
    before = rows()

    with pytest.raises(InvalidInput) as error:
        requests_file_bulk(reporter=kz_reporter, batch=[valid(), valid(category="dissent"), valid(urgency="now")])

    assert set(error.value.fields) == {"requests.1.category", "requests.2.urgency"}
    assert rows() == before


def test_bulk_filing_files_every_request(kz_reporter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        results = requests_file_bulk(reporter=kz_reporter, batch=[valid(), valid(category="violence")])

    assert [created for _, created in results] == [True, True]
    assert {r.submission_method for r, _ in results} == {"bulk"}
    assert len(callbacks) == 1, "the batch is sent to screening as one task, after commit"


def test_bulk_filing_stores_what_single_filing_stores(kz_reporter, django_capture_on_commit_callbacks):
    # given one request filed alone and the same request filed in a batch
    single, _ = request_file(reporter=kz_reporter, data=valid(category="violence", legal_basis=["KZ-CC-174"]))
    sent = []
    with mock.patch("review.dispatch.screening_enqueue", side_effect=lambda ids, **_options: sent.append(ids)), \
            django_capture_on_commit_callbacks(execute=True):
        results = requests_file_bulk(reporter=kz_reporter, batch=[
            valid(external_id="b-1"), valid(category="violence", legal_basis=["KZ-CC-174"]),
            valid(items=[ItemInput(content_id="kz-0007"), ItemInput(url="https://example.org/post/1")])])

    # then each stored request has its reference, items, citations and one request_submitted event
    batch = [request for request, _ in results]
    assert sent == [[request.pk for request in batch]]
    for request in batch:
        request.refresh_from_db()
        assert request.reference == f"CRS-{request.submitted_at.year}-{request.pk:06d}"
        assert request.status == Status.SUBMITTED
        assert list(AuditEvent.objects.filter(request=request).values_list("event_type", flat=True)) == [
            "request_submitted"]
    assert batch[0].external_id == "b-1"
    assert [(i.position, i.content.code if i.content else i.url) for i in batch[2].items.all()] == [
        (1, "kz-0007"), (2, "https://example.org/post/1")]
    bulk_event = AuditEvent.objects.get(request=batch[1]).payload
    single_event = AuditEvent.objects.get(request=single, event_type="request_submitted").payload
    assert {**bulk_event, "submission_method": None} == {**single_event, "submission_method": None}
    assert list(batch[1].citations.values_list("provision__code", "position")) == [("KZ-CC-174", 1)]


def test_bulk_filing_returns_earlier_requests_for_known_external_ids(kz_reporter):
    first = requests_file_bulk(reporter=kz_reporter, batch=[valid(external_id="x-1")])[0][0]
    before = rows()

    results = requests_file_bulk(reporter=kz_reporter, batch=[valid(external_id="x-1"), valid(external_id="x-2")])

    assert [(request.pk == first.pk, created) for request, created in results] == [(True, False), (False, True)]
    assert rows()[0] == before[0] + 1


def test_a_draft_is_submitted_after_full_validation(kz_reporter):
    draft = request_draft_save(reporter=kz_reporter, data=RequestInput(items=[ItemInput(content_id="kz-0007")]))
    assert draft.status == Status.DRAFT

    with pytest.raises(InvalidInput) as error:
        request_submit(reporter=kz_reporter, draft=draft)
    assert error.value.fields == {"category": ["Choose the reason category."]}
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT

    request_draft_save(reporter=kz_reporter, data=valid(), draft=draft)
    submitted = request_submit(reporter=kz_reporter, draft=draft)

    assert submitted.status == Status.SUBMITTED
    assert submitted.items.get().snapshot_sha256 != ""
    assert list(submitted.events.values_list("event_type", flat=True)) == ["request_drafted", "request_submitted"]


def test_a_request_is_submitted_once(kz_reporter):
    draft = request_draft_save(reporter=kz_reporter, data=valid())
    request_submit(reporter=kz_reporter, draft=draft)

    with pytest.raises(IllegalTransition) as refused:
        request_submit(reporter=kz_reporter, draft=draft)

    assert refused.value.message == f"{draft.reference} cannot be submitted while it is submitted."
    assert AuditEvent.objects.filter(request=draft, event_type="request_submitted").count() == 1


def test_saving_a_draft_again_replaces_what_it_states(kz_reporter):
    first = request_input("kz-0007", "kz-0012", legal_basis=["KZ-CC-174", "KZ-CC-274"],
                          court_order=CourtOrderInput("Almaty City Court", "2-123/21", date(2021, 10, 30)))
    draft = request_draft_save(reporter=kz_reporter, data=first)
    assert draft.item_count == 2 and draft.citations.count() == 2

    request_draft_save(reporter=kz_reporter, draft=draft, data=request_input(
        "kz-0003", legal_basis=["KZ-CC-405"], court_order=None, category="defamation", justification="Changed.",
        urgency="imminent_harm", confidentiality_requested=True, requested_action="remove_globally"))

    stored = TakedownRequest.objects.get(pk=draft.pk)
    assert [item.content.code for item in stored.items.order_by("position")] == ["kz-0003"]
    assert [c.provision.code for c in stored.citations.order_by("position")] == ["KZ-CC-405"]
    assert (stored.item_count, stored.category, stored.justification, stored.urgency, stored.requested_action,
            stored.confidentiality_requested, stored.court_name, stored.court_order_date, stored.status) == (
        1, "defamation", "Changed.", "imminent_harm", "remove_globally", True, "", None, Status.DRAFT)
    assert stored.last_activity_at > draft.created_at
    assert RequestItem.objects.filter(request=draft).count() == 1
    assert CitedProvision.objects.filter(request=draft).count() == 1


def test_the_audit_event_holds_its_canonical_bytes(kz_reporter):
    request, _ = request_file(reporter=kz_reporter, data=valid())
    event = AuditEvent.objects.get(request=request)

    document = json.loads(bytes(event.canonical))

    assert document["type"] == "request_submitted"
    assert document["request"] == request.reference
    assert document["actor"] == {"id": f"user:{kz_reporter.user_id}", "role": "reporter"}
    assert bytes(event.canonical) == canonical_bytes(document)


@pytest.mark.django_db(transaction=True)
def test_a_filing_outside_any_transaction_is_stored_whole_and_sent_to_screening(kz_reporter):
    from filing.services import filing as filing_service

    sent, in_transaction = [], []
    file_now = filing_service._file_now

    def filing_seen(**kwargs):
        in_transaction.append(connection.in_atomic_block)
        return file_now(**kwargs)

    with mock.patch("review.dispatch.screening_enqueue", side_effect=lambda ids, **_options: sent.append(ids)), \
            mock.patch.object(filing_service, "_file_now", side_effect=filing_seen):
        request, created = request_file(reporter=kz_reporter, data=valid())

    # One statement writes it all: no BEGIN and COMMIT around it on PostgreSQL.
    assert in_transaction == [connection.vendor != "postgresql"]
    assert created and sent == [[request.pk]]
    stored = TakedownRequest.objects.get(pk=request.pk)
    assert (stored.reference, stored.item_count, stored.items.count(), stored.citations.count()) == (
        request.reference, 1, 1, 1)
    (event,) = AuditEvent.objects.filter(request=request)
    assert event.event_type == "request_submitted"
    assert PendingSeal.objects.filter(event=event).exists()


@pytest.mark.django_db(transaction=True)
def test_a_raced_external_id_outside_any_transaction_returns_the_winner(kz_reporter):
    from filing.services import filing as filing_service

    with mock.patch("review.dispatch.screening_enqueue"):
        first, _ = request_file(reporter=kz_reporter, data=valid(external_id="raced-1"))
        looked_up = filing_service._existing_by_external_id
        # The second filing looks before the first is visible (as in a race), then loses on the constraint.
        with mock.patch.object(filing_service, "_existing_by_external_id", side_effect=[None, looked_up(
                kz_reporter, "raced-1")]):
            again, created = request_file(reporter=kz_reporter, data=valid(external_id="raced-1"))

    assert (again.pk, created) == (first.pk, False)
    assert TakedownRequest.objects.filter(external_id="raced-1").count() == 1
    assert AuditEvent.objects.filter(event_type="request_submitted", request__external_id="raced-1").count() == 1

