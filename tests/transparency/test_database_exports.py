"""The CSV and NDJSON exports PostgreSQL writes (COPY) are byte for byte the Python encoder's, for every filter."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import JSONField, Value
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from reports.models import CitedProvision, Exercise, RequestItem, Status, TakedownRequest
from reports.tenancy import exercise_default
from review.models import CheckResult, Decision, ScreeningRun
from tests.factories import ContentFactory, PlatformAccountFactory, ProvisionFactory, UserFactory
from tests.transparency.request_log import agency, at, filed
from transparency import database_exports
from transparency.exports import encode, export_bytes, filtered_requests
from transparency.selectors import _pseudonym, iter_request_records, pseudonym_key, request_records, request_values
from transparency.serializers import AuditRequestSerializer

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")

FILTERS = [
    {},
    {"jurisdiction": "KZ"},
    {"agency": "-kz-misd", "status": "decided"},
    {"submitted_after": "2021-08-15T00:00:00Z", "submitted_before": "2021-12-01T00:00:00Z"},
    {"decided_after": "2021-08-01T00:00:00Z"},
    {"category": "defamation", "jurisdiction": "DE"},
    {"jurisdiction": "FR"},
]


def checks_for(request, *, rounds: int) -> None:
    for number in range(1, rounds + 1):
        run = ScreeningRun.objects.create(request=request, round=number, workflow_version="1",
                                          rules_version="2021.1", check_input={}, route={})
        for position, (name, verdict, flags) in enumerate([
                ("completeness", "complete" if number > 1 else "incomplete", []),
                ("platform_policy", "violates", ["violence", "hate"]),
                ("local_law", "supported", ["court_order"]),
                ("human_rights", "", [])], start=1):
            CheckResult.objects.create(screening=run, request=request, round=number, position=position, name=name,
                                       version="1", verdict=verdict, flags=flags, explanation="Checked.")
    TakedownRequest.objects.filter(pk=request.pk).update(screening_round=rounds)


@pytest.fixture
def varied_log(db):
    """Requests whose cells test every rule of the CSV: quoting, formulas, empties, lists, times, pseudonyms."""
    misd = agency("-kz-misd", "KZ", name='Ministry "of Information", Almaty\nand the regions')
    bnetza = agency("de-bnetza", "DE", name="=Bundesnetzagentur", authority_type="regulator")
    author = PlatformAccountFactory(handle="дамир_ü")
    plus = PlatformAccountFactory(handle="+plus_handle")
    posts = [ContentFactory(author=author), ContentFactory(author=plus), ContentFactory()]

    decided = filed(misd, submitted_at=at("2021-08-01 10:00"), status=Status.DECIDED, queue="policy",
                    outcome="partial", decided_at=at("2021-08-04 10:00") + timedelta(microseconds=250),
                    court_order=True, items=[posts[0], "https://elsewhere.example/a", posts[1], posts[2]],
                    decisions=["remove_globally", "no_action", "restrict_in_jurisdiction"],
                    submitted_by=UserFactory(username="+reporter"))
    CitedProvision.objects.create(request=decided, provision=ProvisionFactory(code="KZ-CC-174"), position=2)
    CitedProvision.objects.create(request=decided, provision=ProvisionFactory(code="KZ-CC-274"), position=1)
    checks_for(decided, rounds=2)
    # A later round reconsidered the first item: its latest decision is the one exported.
    first = decided.items.get(position=1)
    Decision.objects.create(request=decided, item=first, round=2, action="no_action", reason_code="not_unlawful",
                            rationale="Reconsidered.", reviewer=UserFactory(), reviewer_tier="senior_reviewer")
    TakedownRequest.objects.filter(pk=decided.pk).update(
        external_id='=HYPERLINK("x", "y")', court_name='+Court, "Almaty"\r\nsecond line',
        court_case_number="-2-1/2021", court_order_date=at("2021-07-30").date(), confidentiality_requested=True,
        sla_breached=True, created_at=at("2021-08-01 09:59") + timedelta(microseconds=123456))

    filed(misd, submitted_at=at("2021-09-01 10:00"), status=Status.NEEDS_INFO, requested_action="", items=0)
    half = filed(misd, submitted_at=at("2021-10-01 10:00"), court_order=True, items=[posts[1]])
    TakedownRequest.objects.filter(pk=half.pk).update(court_case_number="")  # a court without a case number
    filed(bnetza, submitted_at=at("2021-10-01 10:00"), category="defamation", items=2,
          decisions=["remove_globally"], status=Status.DECIDED, outcome="full", decided_at=at("2021-10-03 08:00"))
    filed(bnetza, submitted_at=at("2021-12-24 23:59:59"), category="defamation", items=[posts[2], posts[0]])
    # Never exported: a draft, and another exercise's request.
    draft = filed(bnetza, submitted_at=at("2021-11-01 10:00"))
    TakedownRequest.objects.filter(pk=draft.pk).update(status=Status.DRAFT)
    filed(misd, submitted_at=at("2021-11-01 10:00"), exercise=Exercise.objects.create(slug="other", name="Other"))
    return decided


@pytest.fixture
def exercise(varied_log):
    return exercise_default()


def python_csv(queryset, *, personal: bool) -> bytes:
    records = iter_request_records(queryset, personal=personal, snapshots=False, chunk_size=2)
    return b"".join(data for data, _rows in encode(records, "csv"))


@pytest.mark.parametrize("personal", [False, True], ids=["pseudonymised", "personal"])
@pytest.mark.parametrize("filters", FILTERS, ids=[",".join(f) or "all" for f in FILTERS])
def test_database_csv_is_byte_for_byte_the_python_csv(varied_log, exercise, filters, personal):
    # given
    queryset = filtered_requests(exercise=exercise, filters=filters)
    expected = python_csv(queryset, personal=personal)

    # when
    written = b"".join(export_bytes(queryset, "csv", personal=personal))

    # then
    assert written == expected
    assert written.count(b"\r\n") >= queryset.count() + 1  # the header and one line per request, at least


def test_the_export_holds_the_hard_cells_as_the_python_path_writes_them(varied_log, exercise):
    written = b"".join(export_bytes(filtered_requests(exercise=exercise, filters={}), "csv", personal=True))

    assert b'"\'+Court, ""Almaty""\r\nsecond line"' in written
    assert b"+reporter" in written and b"'+reporter" in written
    assert "дамир_ü".encode() in written
    assert b"acct-" in written and b",true," in written


def test_the_database_export_reads_a_chunk_of_requests_at_a_time(varied_log, exercise):
    queryset = filtered_requests(exercise=exercise, filters={})

    chunks = list(database_exports.csv_copy_chunks(queryset, personal=False, chunk_size=2))

    assert [rows for _data, rows in chunks] == [2, 2, 1]
    assert [data.count(b"\r\n") >= rows for data, rows in chunks] == [True] * 3
    whole = b"".join(data for data, _rows in database_exports.csv_copy_chunks(queryset, personal=False))
    assert b"".join(data for data, _rows in chunks) == whole


@pytest.mark.parametrize("select", ["_csv_select", "_ndjson_select"])
def test_a_chunk_is_planned_without_nested_loops_whatever_the_statistics_say(varied_log, exercise, select):
    # Rows written in the same transaction (a bulk import not yet analysed) leave the planner
    # believing each table holds about one row: it then nests a chunk's aggregates inside a loop
    # over the chunk's requests, and an export of 20,000 requests took minutes instead of seconds.
    queryset = filtered_requests(exercise=exercise, filters={})
    chunk = next(database_exports._chunks(queryset, database_exports.COPY_CHUNK_SIZE))
    statement = getattr(database_exports, select)(chunk, personal=True)

    with connection.cursor() as cursor:
        cursor.execute(database_exports.STATEMENT_SETTINGS)
        cursor.execute(f"EXPLAIN {statement}", [*chunk.ids_params, *database_exports._pseudonym_params()])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Nested Loop" not in plan, plan


def test_requests_filed_after_the_export_began_are_left_out(varied_log, exercise):
    chunks = database_exports.csv_copy_chunks(filtered_requests(exercise=exercise, filters={}), personal=False,
                                              chunk_size=2)
    first = next(chunks)

    filed(varied_log.agency, submitted_at=at("2021-12-30 10:00"))

    assert first[1] + sum(rows for _data, rows in chunks) == 5


# --- NDJSON --------------------------------------------------------------------------------

# Every escape of JSON text, non-ASCII, and the separators the database's compaction looks for.
HARD_TEXT = 'Quotes " and \\ and \\" , "x": {"y": [1, 2]}, "z": "w"\n\r\t\b\f\x01\x1f\x7f ü 😂 \u2028 end\\'


@pytest.fixture
def json_log(varied_log):
    """The varied log, with stored JSON that tests every rule of the lines: nesting, escapes, types."""
    first = varied_log.items.get(position=1)
    RequestItem.objects.filter(pk=first.pk).update(snapshot={
        "author": 'дамир_ü "the author"', "text": HARD_TEXT, "nested": {"list": [1, "two", {"three": None}, []]},
        "empty": {}, "flag": True, "count": 3, "missing": None, "ratio": 0.5})
    plain = varied_log.items.get(position=3)
    RequestItem.objects.filter(pk=plain.pk).update(snapshot={**plain.snapshot, "text": HARD_TEXT})
    RequestItem.objects.filter(request__category="defamation", position=1).update(snapshot=Value(None, JSONField()))
    CheckResult.objects.filter(request=varied_log, round=2, name="local_law").update(
        flags=['quote"d', "back\\slash", "ü", '": {', "line\nfeed"], explanation=HARD_TEXT)
    TakedownRequest.objects.filter(pk=varied_log.pk).update(justification=HARD_TEXT)
    Decision.objects.filter(request=varied_log, round=2).update(rationale=HARD_TEXT)
    return varied_log


def python_ndjson(queryset, *, personal: bool) -> bytes:
    records = iter_request_records(queryset, personal=personal, chunk_size=2)
    return b"".join(data for data, _rows in encode(records, "ndjson"))


@pytest.mark.parametrize("personal", [False, True], ids=["pseudonymised", "personal"])
@pytest.mark.parametrize("filters", FILTERS, ids=[",".join(f) or "all" for f in FILTERS])
def test_database_ndjson_is_byte_for_byte_the_python_ndjson(json_log, exercise, filters, personal):
    # given
    queryset = filtered_requests(exercise=exercise, filters=filters)
    expected = python_ndjson(queryset, personal=personal)

    # when
    written = b"".join(export_bytes(queryset, "ndjson", personal=personal))

    # then
    assert written == expected
    assert written.count(b"\n") == queryset.count()


def test_the_ndjson_lines_hold_the_hard_values_as_python_reads_them(json_log, exercise):
    written = b"".join(export_bytes(filtered_requests(exercise=exercise, filters={}), "ndjson", personal=False))

    # Split on line feeds only: str.splitlines would also split at the U+2028 inside a string.
    records = [json.loads(line) for line in written.split(b"\n")[:-1]]
    decided = next(record for record in records if record["reference"] == json_log.reference)
    assert decided["justification"] == HARD_TEXT
    assert decided["items"][0]["snapshot"]["nested"] == {"list": [1, "two", {"three": None}, []]}
    assert decided["items"][0]["snapshot"]["author"] == "[redacted]"
    assert decided["items"][2]["snapshot"]["text"] == HARD_TEXT
    assert decided["items"][0]["decision"]["rationale"] == HARD_TEXT
    assert decided["checks"][2]["flags"] == ['quote"d', "back\\slash", "ü", '": {', "line\nfeed"]
    assert "дамир" not in written.decode() and "😂".encode() in written


def test_the_database_ndjson_reads_a_chunk_of_requests_at_a_time(json_log, exercise):
    queryset = filtered_requests(exercise=exercise, filters={})

    chunks = list(database_exports.ndjson_copy_chunks(queryset, personal=False, chunk_size=2))

    assert [rows for _data, rows in chunks] == [2, 2, 1]
    assert [data.count(b"\n") for data, _rows in chunks] == [2, 2, 1]
    whole = b"".join(data for data, _rows in database_exports.ndjson_copy_chunks(queryset, personal=False))
    assert b"".join(data for data, _rows in chunks) == whole


def test_a_large_chunk_is_passed_on_in_blocks_with_its_count_at_the_end(json_log, exercise, monkeypatch):
    monkeypatch.setattr(database_exports, "BLOCK_BYTES", 1)
    queryset = filtered_requests(exercise=exercise, filters={})

    blocks = list(database_exports.csv_copy_chunks(queryset, personal=False))

    assert [rows for _data, rows in blocks] == [0, 0, 0, 0, 0, 5]
    assert b"".join(data for data, _rows in blocks) == python_csv(queryset, personal=False).split(b"\r\n", 1)[1]


# --- A page of the auditors' list -------------------------------------------------------------

def python_page(answer: dict, queryset, *, personal: bool, page_size: int, page: int) -> bytes:
    """The page as the Python path writes it: ``request_records``' records through the serializer and DRF's renderer."""
    rows = list(request_values(queryset, personal=personal)[(page - 1) * page_size:page * page_size])
    records = AuditRequestSerializer(request_records(rows, personal=personal), many=True).data
    return JSONRenderer().render({"count": answer["count"], "next": answer["next"], "previous": answer["previous"],
                                  "results": records})


@pytest.mark.parametrize("personal", [False, True], ids=["pseudonymised", "personal"])
@pytest.mark.parametrize("filters", FILTERS, ids=[",".join(f) or "all" for f in FILTERS])
def test_a_page_of_the_auditors_list_is_byte_for_byte_the_python_path(json_log, exercise, auditor, filters, personal):
    if personal:
        auditor.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=auditor).key}")
    queryset = filtered_requests(exercise=exercise, filters=filters)
    pages = 0

    for page in range(1, 4):
        answer = client.get("/api/v1/audit/requests/", {**filters, "page_size": 2, "page": page})
        if page > 1 and answer.status_code == 404:
            break
        assert answer.status_code == 200
        assert answer.content == python_page(answer.json(), queryset, personal=personal, page_size=2, page=page)
        pages += 1

    assert pages == max(1, -(-queryset.count() // 2))


def test_the_page_holds_the_hard_values_escaped_as_drf_writes_them(json_log, exercise, auditor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=auditor).key}")

    answer = client.get("/api/v1/audit/requests/")

    assert b"\\u2028" in answer.content and "\u2028".encode() not in answer.content
    decided = next(record for record in answer.json()["results"] if record["reference"] == json_log.reference)
    assert decided["justification"] == HARD_TEXT


def test_an_indented_page_is_written_by_python_with_the_same_records(json_log, exercise, auditor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=auditor).key}")

    compact = client.get("/api/v1/audit/requests/")
    indented = client.get("/api/v1/audit/requests/", HTTP_ACCEPT="application/json; indent=2")

    assert b"\n  " in indented.content
    assert indented.json() == compact.json()


def test_the_hmac_pads_give_the_python_pseudonyms(db):
    key = pseudonym_key("some secret")
    inner, outer = database_exports.hmac_pads(key)

    with connection.cursor() as cursor:
        cursor.execute("SELECT encode(sha256(%s::bytea || sha256(%s::bytea || convert_to(%s, 'UTF8'))), 'hex')",
                       [outer, inner, "дамир_ü"])
        digest = cursor.fetchone()[0]

    assert digest == hmac.new(key, "дамир_ü".encode(), hashlib.sha256).hexdigest()
    assert f"acct-{digest[:16]}" == _pseudonym("дамир_ü", "some secret")
