"""Streamed exports: both formats parsed back and compared with the database, filters, the audit event."""

from __future__ import annotations

import csv
import io
import json

import pytest

from audit.models import AuditEvent
from reports.models import CitedProvision, Status, TakedownRequest
from review.models import CheckResult
from tests.factories import ContentFactory, PlatformAccountFactory, ProvisionFactory
from tests.transparency.request_log import agency, at, filed
from transparency.exports import CSV_COLUMNS
from transparency.selectors import author_pseudonym

URL = "/api/v1/audit/requests/export/"


def streamed(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def iso(moment) -> str:
    return "" if moment is None else moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def log(db):
    misd, bnetza = agency("kz-misd", "KZ"), agency("de-bnetza", "DE", authority_type="regulator")
    author = PlatformAccountFactory(handle="dimash_reports")
    posts = [ContentFactory(author=author), ContentFactory()]
    decided = filed(misd, submitted_at=at("2021-08-01 10:00"), items=[posts[0], "https://elsewhere.example/a",
                                                                      posts[1]],
                    status=Status.DECIDED, queue="policy", outcome="partial", decided_at=at("2021-08-04 10:00"),
                    court_order=True, decisions=["remove_globally", "no_action", "restrict_in_jurisdiction"])
    CitedProvision.objects.create(request=decided, provision=ProvisionFactory(code="KZ-CC-174"), position=1)
    CitedProvision.objects.create(request=decided, provision=ProvisionFactory(code="KZ-CC-274"), position=2)
    run_checks_for(decided, rounds=2)
    filed(misd, submitted_at=at("2021-09-01 10:00"), status=Status.NEEDS_INFO, requested_action="")
    filed(bnetza, submitted_at=at("2021-10-01 10:00"), category="defamation", items=2)
    return decided


def run_checks_for(request, *, rounds: int) -> None:
    """Check results for two screening rounds; only the latest may be exported."""
    from review.models import ScreeningRun

    for number in range(1, rounds + 1):
        run = ScreeningRun.objects.create(request=request, round=number, workflow_version="1",
                                          rules_version="2021.1", check_input={}, route={})
        for position, (name, verdict, flags) in enumerate([
                ("completeness", "complete" if number > 1 else "incomplete", []),
                ("platform_policy", "violates", ["violence"]),
                ("local_law", "supported", ["court_order", "vague_provision"]),
                ("human_rights", "medium", [])], start=1):
            CheckResult.objects.create(screening=run, request=request, round=number, position=position, name=name,
                                       version="1", verdict=verdict, flags=flags, explanation=f"Round {number}.")
    TakedownRequest.objects.filter(pk=request.pk).update(screening_round=rounds)


def expected_row(request: TakedownRequest) -> dict[str, str]:
    """What a CSV row must say, read from the database with the ORM (not with the export's code)."""
    items = list(request.items.order_by("position").select_related("content__author"))
    decisions = [item.decisions.order_by("-round").first() for item in items]
    checks = {c.name: c for c in CheckResult.objects.filter(request=request, round=request.screening_round)}
    actions = [d.action if d else "" for d in decisions]
    return {
        "reference": request.reference, "jurisdiction": request.agency.jurisdiction_id,
        "agency": request.agency.code, "agency_name": request.agency.name, "authority_type": request.authority_type,
        "submitted_by": "", "submission_method": request.submission_method, "external_id": "",
        "category": request.category,
        "provisions": ";".join(c.provision.code for c in request.citations.order_by("position")),
        "requested_action": request.requested_action, "urgency": request.urgency,
        "has_court_order": "true" if request.has_court_order else "false", "court_name": request.court_name,
        "court_case_number": request.court_case_number, "court_order_date": "",
        "confidentiality_requested": "false", "status": request.status, "outcome": request.outcome,
        "queue": request.queue, "priority": "" if request.priority is None else str(request.priority),
        "sla_due_at": iso(request.sla_due_at), "sla_breached": "false",
        "workflow_version": request.workflow_version, "rules_version": request.rules_version,
        "screening_round": str(request.screening_round), "review_round": str(request.review_round),
        **{f"check_{name}": checks[name].verdict if name in checks else ""
           for name in ("completeness", "platform_policy", "local_law", "human_rights")},
        "check_flags": ";".join(f"{c.name}:{flag}" for c in sorted(checks.values(), key=lambda c: c.position)
                                for flag in c.flags),
        "item_count": str(len(items)),
        "content_ids": ";".join(item.content.code if item.content else "" for item in items),
        "snapshot_sha256s": ";".join(item.snapshot_sha256 for item in items),
        "author_pseudonyms": ";".join(author_pseudonym(item.content.author.handle) if item.content else ""
                                      for item in items),
        "author_handles": "", "item_decisions": ";".join(actions),
        "items_removed": str(actions.count("remove_globally")),
        "items_restricted": str(actions.count("restrict_in_jurisdiction")),
        "items_no_action": str(actions.count("no_action")),
        "created_at": iso(request.created_at), "submitted_at": iso(request.submitted_at),
        "routed_at": iso(request.routed_at), "decided_at": iso(request.decided_at),
        "closed_at": iso(request.closed_at),
    }


def test_csv_export_matches_the_database_row_by_row(client_for, log, auditor):
    response = client_for(auditor).get(f"{URL}?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="crs-requests-')
    reader = csv.DictReader(io.StringIO(streamed(response)))
    assert tuple(reader.fieldnames) == CSV_COLUMNS
    rows = list(reader)
    requests = TakedownRequest.objects.exclude(status=Status.DRAFT).order_by("id")
    assert len(rows) == requests.count() == 3
    for row, request in zip(rows, requests, strict=True):
        assert row == expected_row(request)
    assert rows[0]["check_completeness"] == "complete"  # round 2, not round 1
    assert rows[0]["item_decisions"] == "remove_globally;no_action;restrict_in_jurisdiction"


def test_ndjson_export_is_the_api_records_line_by_line(client_for, log, auditor):
    client = client_for(auditor)

    response = client.get(f"{URL}?format=ndjson")
    lines = streamed(response).splitlines()

    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    records = [json.loads(line) for line in lines]
    assert records == client.get("/api/v1/audit/requests/").json()["results"]
    requests = TakedownRequest.objects.exclude(status=Status.DRAFT).order_by("id")
    for record, request in zip(records, requests, strict=True):
        items = list(request.items.order_by("position"))
        assert record["reference"] == request.reference
        assert record["status"] == request.status
        assert record["submitted_at"] == iso(request.submitted_at)
        assert [i["snapshot_sha256"] for i in record["items"]] == [i.snapshot_sha256 for i in items]
        assert [i["position"] for i in record["items"]] == [i.position for i in items]
        assert record["provisions"] == [c.provision.code for c in request.citations.order_by("position")]
    assert [c["round"] for c in records[0]["checks"]] == [2, 2, 2, 2]


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_exports_apply_the_active_filters(client_for, log, auditor, fmt):
    text = streamed(client_for(auditor).get(f"{URL}?format={fmt}&jurisdiction=KZ&status=needs_info"))

    if fmt == "csv":
        references = [row["reference"] for row in csv.DictReader(io.StringIO(text))]
    else:
        references = [json.loads(line)["reference"] for line in text.splitlines()]
    assert references == list(TakedownRequest.objects.filter(agency__jurisdiction_id="KZ", status="needs_info")
                              .values_list("reference", flat=True))
    assert len(references) == 1


def test_an_export_is_recorded_with_its_filters_and_row_count(client_for, log, auditor):
    response = client_for(auditor).get(f"{URL}?format=ndjson&jurisdiction=kz&page=3")
    streamed(response)

    event = AuditEvent.objects.get(event_type="export_created")
    assert (event.actor, event.actor_role) == (auditor, "auditor")
    assert event.payload == {"kind": "requests.ndjson", "filters": {"jurisdiction": "kz"}, "rows": 2}
    assert response["X-Export-Rows"] == "2"


def test_an_empty_export_has_just_the_header(client_for, log, auditor):
    text = streamed(client_for(auditor).get(f"{URL}?format=csv&category=copyright"))

    assert text == ",".join(CSV_COLUMNS) + "\r\n"


@pytest.mark.parametrize(("query", "fields"), [
    ("format=xlsx", {"format": ["Use csv, ndjson, dsa-sor-csv, dsa-sor-json or lumen-json, not 'xlsx'."]}),
    ("format=csv&outcome=maybe", {"outcome": ["Select a valid choice. maybe is not one of the available choices."]}),
])
def test_a_bad_export_is_refused_as_json_and_not_recorded(client_for, log, auditor, query, fields):
    response = client_for(auditor).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "invalid", "detail": "The request has invalid fields.", "fields": fields}
    assert not AuditEvent.objects.filter(event_type="export_created").exists()


def test_refused_callers_leave_no_export_event(client_for, log, kz_reporter):
    response = client_for(kz_reporter.user).get(f"{URL}?format=csv")

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(event_type="export_created").exists()


def test_cells_a_spreadsheet_would_run_are_neutralised(client_for, db, auditor):
    request = filed(agency("kz-misd", "KZ", name="=HYPERLINK(\"http://evil.example\")"),
                    submitted_at=at("2021-08-01 10:00"), court_order=True)
    TakedownRequest.objects.filter(pk=request.pk).update(court_case_number="+7 777 123", external_id="@SUM(1)")

    row = next(csv.DictReader(io.StringIO(streamed(client_for(auditor).get(f"{URL}?format=csv")))))

    assert row["agency_name"] == "'=HYPERLINK(\"http://evil.example\")"
    assert row["court_case_number"] == "'+7 777 123"
    assert row["external_id"] == "'@SUM(1)"
