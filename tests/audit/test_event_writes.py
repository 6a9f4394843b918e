"""A change's rows and its audit events written in one statement read back exactly as they were made.

On PostgreSQL a few events, and the few new rows of the change they record (a filing's request,
items and citations), are one statement whose rows travel as JSON (audit/events.py). Every value a
column holds (times to the microsecond, bytes that are not text, JSON, booleans, dates, nulls) must
come back unchanged, each row must take its id in its order, and each event must be queued for the
log.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import events
from audit.models import AuditEvent, PendingSeal
from filing.inputs import CourtOrderInput, ItemInput
from reports.models import CitedProvision, RequestItem
from tests.builders import filed

pytestmark = pytest.mark.django_db


def stored(instance) -> dict:
    """Every column of an instance's row, as the ORM reads it back."""
    fresh = type(instance).objects.get(pk=instance.pk)
    return {field.attname: getattr(fresh, field.attname) for field in type(instance)._meta.concrete_fields}


def made(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_events_read_back_byte_for_byte_and_are_queued_for_the_log(kz_reporter):
    at = timezone.now().replace(microsecond=123456)
    written = [events.NewEvent(uuid.uuid4(), "request_submitted", kz_reporter.exercise_id, None, kz_reporter.user_id,
                               "reporter", at, {"text": "Қазақстан \"quoted\" \\ \u2028", "n": [1, 2.5, None]},
                               bytes(range(256))),
               events.NewEvent(uuid.uuid4(), "request_drafted", None, None, None, "system", at, {}, b"{}")]

    with transaction.atomic():
        ids = events._record_all(written)

    assert ids == sorted(ids) and len(ids) == 2
    for pk, event in zip(ids, written, strict=True):
        row = AuditEvent.objects.get(pk=pk)
        assert tuple(getattr(row, name) for name in events.EVENT_FIELDS[:-1]) == event[:-1]
        assert bytes(row.canonical) == event.canonical
    assert set(PendingSeal.objects.filter(event_id__in=ids).values_list("event_id", flat=True)) == set(ids)


def test_a_filing_s_rows_read_back_as_they_were_made(kz_reporter, harmless_content_code, violating_content_code):
    request = filed(kz_reporter, items=[ItemInput(content_id=harmless_content_code), ItemInput(url="https://example.org/a?b=c"),
                           ItemInput(content_id=violating_content_code)],
                    court_order=CourtOrderInput("Almaty City Court", "2-123/21", date(2021, 10, 30)),
                    confidentiality_requested=True, justification="Ұят \x7f — “quoted” \\ text", external_id="x-1")

    assert made(request) == stored(request)
    items = list(request.items.all())
    assert [made(item) for item in items] == [stored(item) for item in items]
    assert [item.position for item in sorted(items, key=lambda item: item.pk)] == [1, 2, 3]
    assert items[1].snapshot == {} and items[0].snapshot["content_id"] == harmless_content_code
    citations = list(request.citations.all())
    assert citations and [made(c) for c in citations] == [stored(c) for c in citations]
    assert list(RequestItem.objects.filter(request=request).order_by("id").values_list("pk", flat=True)) == [
        item.pk for item in items]
    assert CitedProvision.objects.filter(request=request).count() == len(citations)
    (event,) = request.events.all()
    assert PendingSeal.objects.filter(event_id=event.pk).exists()
    assert bytes(AuditEvent.objects.get(pk=event.pk).canonical) == bytes(event.canonical)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
def test_a_filing_is_one_statement_whatever_its_number_of_items(kz_reporter, harmless_content_code,
                                                                 violating_content_code):
    def writes(*codes):
        with CaptureQueriesContext(connection) as captured:
            filed(kz_reporter, *codes)
        return [query["sql"] for query in captured.captured_queries if "INSERT" in query["sql"]]

    one, two = writes(harmless_content_code), writes(harmless_content_code, violating_content_code)

    # The same text, prepared once by the server, for one item or two.
    assert len(one) == 1
    assert one == two
