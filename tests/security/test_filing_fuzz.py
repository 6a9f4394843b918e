"""The filing service under generated input: it files, or refuses naming fields, and never half-writes.

Inputs mix what a reporter could plausibly send (real content ids, real provisions, the
documented codes) with what nobody should (arbitrary text, control characters, duplicates,
oversized lists, dates in the future). Whatever arrives, the service either stores one
complete request or raises InvalidInput that names each bad field, and a refusal leaves
the database exactly as it was.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from filing.inputs import CourtOrderInput, ItemInput, RequestInput
from filing.services import request_file
from reports.errors import InvalidInput
from reports.models import Category, RequestedAction, RequestItem, Status, TakedownRequest, Urgency

pytestmark = pytest.mark.django_db

KNOWN_FIELDS = ("items", "category", "legal_basis", "requested_action", "urgency", "justification", "external_id",
                "court_order")
CONTENT_CODES = ["kz-0001", "kz-0002", "kz-0003", "kz-0004", "kz-0005"]
PROVISIONS = ["KZ-CC-174", "KZ-CC-274", "KZ-CC-179", "DE-STGB-130"]

# Any text a form field or a JSON body could carry, NUL and other control characters included.
any_text = st.text(max_size=60)
text = st.one_of(any_text, st.sampled_from(["", " ", "\x00", "<script>alert(1)</script>", "a" * 101]))
item = st.one_of(
    st.builds(ItemInput, content_id=st.sampled_from(CONTENT_CODES + ["KZ-0001", " kz-0002 "]) | text),
    st.builds(ItemInput, url=st.sampled_from(["https://platform.example/p/kz-0003", "http://x", "ftp://x"]) | text),
    st.builds(ItemInput, content_id=text, url=text),
)
court_order = st.one_of(st.none(), st.builds(
    CourtOrderInput, court=text, case_number=text,
    date=st.one_of(st.none(), st.dates(min_value=date(1990, 1, 1), max_value=date.today() + timedelta(days=30)))))
wild = st.builds(
    RequestInput,
    items=st.lists(item, max_size=6),
    category=st.sampled_from(Category.values) | text,
    legal_basis=st.lists(st.sampled_from(PROVISIONS) | text, max_size=4),
    requested_action=st.sampled_from(RequestedAction.values) | text,
    justification=st.one_of(text, st.just("x" * 20_001)),
    urgency=st.sampled_from(Urgency.values) | text,
    court_order=court_order,
    confidentiality_requested=st.booleans(),
    external_id=st.one_of(st.none(), text),
)
# Well-formed codes with arbitrary free text: the inputs most likely to reach the database.
plausible = st.builds(
    RequestInput,
    items=st.lists(st.sampled_from(CONTENT_CODES).map(lambda code: ItemInput(content_id=code)),
                   min_size=1, max_size=3, unique_by=lambda i: i.content_id),
    category=st.sampled_from(Category.values),
    legal_basis=st.lists(st.sampled_from(PROVISIONS[:3]), max_size=2, unique=True),
    requested_action=st.sampled_from(RequestedAction.values),
    justification=any_text,
    urgency=st.sampled_from(Urgency.values),
    court_order=court_order,
    confidentiality_requested=st.booleans(),
    external_id=st.one_of(st.none(), any_text),
)
filing = st.one_of(wild, plausible)


def _counts():
    return TakedownRequest.objects.count(), RequestItem.objects.count(), AuditEvent.objects.count()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=filing)
def test_filing_stores_a_whole_request_or_refuses_by_field_and_writes_nothing(kz_reporter, data):
    before = _counts()
    try:
        request, created = request_file(reporter=kz_reporter, data=data)
    except InvalidInput as refusal:
        event("refused")
        assert refusal.fields, "a refusal names at least one field"
        assert all(path.split(".")[0] in KNOWN_FIELDS for path in refusal.fields), refusal.fields
        assert all(isinstance(m, str) and m for messages in refusal.fields.values() for m in messages)
        assert _counts() == before
        return

    event("filed" if created else "returned the earlier request")
    if not created:  # the agency used this external id before: the first request, nothing new
        assert _counts() == before
        return
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED
    assert request.items.count() == len(data.items)
    assert all(len(item.snapshot_sha256) == 64 and item.snapshot for item in request.items.all() if item.content_id)
    assert AuditEvent.objects.filter(request=request).exists()
    assert request.created_at <= timezone.now()
