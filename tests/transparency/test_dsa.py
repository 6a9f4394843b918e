"""DSA statements of reasons: every statement follows the database's rules, and nothing is dropped unsaid."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
from django.core.management import call_command

from audit.models import AuditEvent, ExportJob
from reports.tenancy import exercise_default
from tests.transparency.interop import (
    DUMP_COLUMNS,
    EU_EEA,
    bodies,
    decide_jurisdictions,
    reference_rule_breaches,
    removing_or_restricting_decisions,
)
from transparency import dsa, dsa_rules, exports
from transparency.selectors import audit_requests

COMPARED = ["DE", "FR", "KZ", "TR", "BR", "IN", "RU"]


@pytest.fixture
def decided_comparative(comparative_scenario, senior_reviewer):
    requests = decide_jurisdictions(senior_reviewer, COMPARED)
    assert {r.agency.jurisdiction_id for r in requests} >= {"DE", "FR", "KZ"}
    return requests


@pytest.fixture
def decided_2021(kz_scenario, senior_reviewer):
    return decide_jurisdictions(senior_reviewer, ["KZ"], requests_per_country=4, posts_per_request=3)


def export(fmt: str) -> tuple[bytes, dsa.StatementReport]:
    out, report = io.BytesIO(), dsa.StatementReport()
    exports.export_write(audit_requests(exercise=exercise_default()), fmt, personal=False, out=out, report=report)
    return out.getvalue(), report


def test_every_statement_of_a_decided_comparative_scenario_follows_the_database_rules(decided_comparative):
    # when
    data, report = export("dsa-sor-json")

    # then: each line is one body of the bulk endpoint, each statement passes every rule of the reference
    statements = [s for body in bodies(data) for s in body["statements"]]
    assert all(set(body) == {"statements"} and 0 < len(body["statements"]) <= 100 for body in bodies(data))
    assert statements, "the scenario decided nothing that the database can express"
    for statement in statements:
        assert reference_rule_breaches(statement) == [], statement["puid"]
        assert dsa_rules.statement_problems(statement) == [], statement["puid"]
    assert len({s["puid"] for s in statements}) == len(statements)
    # every decision that removed or restricted is a statement, or is reported with its reason
    expected = removing_or_restricting_decisions()
    assert report.statements + report.not_expressible == len(expected)
    assert {s["puid"] for s in statements} | {f"{r['reference']}-{r['item']}" for r in report.listed} == {
        f"{d.request.reference}-{d.item.position}" for d in expected}
    # both grounds occur, each with its own fields
    assert {s["decision_ground"] for s in statements} == {dsa_rules.ILLEGAL_CONTENT, dsa_rules.INCOMPATIBLE_CONTENT}
    for s in statements:
        if s["decision_ground"] == dsa_rules.ILLEGAL_CONTENT:
            assert s["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
            assert s["territorial_scope"][0] in EU_EEA and len(s["territorial_scope"]) == 1
            assert s["source_identity"].endswith(f"({s['territorial_scope'][0]})")
        else:
            assert s["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
            assert sorted(s["territorial_scope"]) == sorted(EU_EEA)
        assert s["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION"


def test_a_restriction_outside_the_eu_is_reported_with_its_reason_and_not_written(decided_comparative):
    data, report = export("dsa-sor-json")

    restricted_outside = [d for d in removing_or_restricting_decisions()
                          if d.action == "restrict_in_jurisdiction" and d.request.agency.jurisdiction_id not in EU_EEA]
    assert restricted_outside
    listed = {(r["reference"], r["item"]): r["reason"] for r in report.listed}
    for decision in restricted_outside:
        country = decision.request.agency.jurisdiction_id
        assert listed[(decision.request.reference, decision.item.position)] == (
            f"restricted in {country}, outside the EU/EEA")
    puids = {s["puid"] for body in bodies(data) for s in body["statements"]}
    assert not puids & {f"{d.request.reference}-{d.item.position}" for d in restricted_outside}
    assert report.reasons == {reason: list(listed.values()).count(reason) for reason in set(listed.values())}


def test_the_2021_scenario_round_trips_through_the_dump_csv(decided_2021, tmp_path, capsys):
    # given
    output = tmp_path / "statements.csv"

    # when
    call_command("export_requests", "--format", "dsa-sor-csv", "--output", str(output), "--no-progress")

    # then: parse with the csv module, validate, and count
    with output.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert header == DUMP_COLUMNS
    statements = []
    for row in rows:
        statement = {key: value for key, value in row.items() if value and key in dsa_rules.FIELDS}
        for name in ("decision_visibility", "content_type", "territorial_scope"):
            if name in statement:
                statement[name] = json.loads(statement[name])
        for name in ("content_date", "application_date"):
            assert statement[name].endswith(" 00:00:00")
            statement[name] = statement[name][:10]
        statement["puid"] = row["platform_uid"]
        assert reference_rule_breaches(statement) == []
        assert dsa_rules.statement_problems(statement) == []
        assert row["platform_name"] == dsa.PLATFORM_NAME
        assert "\n" not in "".join(row.values())
        statements.append(statement)
    expected = removing_or_restricting_decisions()
    removed = [d for d in expected if d.action == "remove_globally"]
    restricted_in_kz = [d for d in expected if d.action == "restrict_in_jurisdiction"]
    assert removed and restricted_in_kz
    # Kazakhstan is outside the EU/EEA: its local restrictions are reported, its global removals written.
    assert sorted(s["puid"] for s in statements) == sorted(f"{d.request.reference}-{d.item.position}" for d in removed)
    err = capsys.readouterr().err
    assert f"{len(removed)} statements written; {len(restricted_in_kz)} decisions not expressible." in err
    assert f"{len(restricted_in_kz)} x restricted in KZ, outside the EU/EEA" in err
    assert len(statements) + len(restricted_in_kz) == len(expected)
    event = AuditEvent.objects.filter(event_type="export_created").latest("id")
    assert event.payload["kind"] == "requests.dsa-sor-csv"


def test_the_bulk_bodies_hold_100_statements_each_and_the_last_the_rest(decided_comparative, monkeypatch):
    # given: 250 ready statements arriving in 25 chunks of 10 requests
    statement = next(s for body in bodies(export("dsa-sor-json")[0]) for s in body["statements"])
    monkeypatch.setattr(dsa, "record_statements",
                        lambda record, facts, report: [({**statement, "puid": f"p-{record['i']}"}, "")])
    monkeypatch.setattr(exports, "policy_rules_by_item", lambda references: {})
    chunks = ([{"i": number * 10 + k, "reference": "CRS-2021-000001"} for k in range(10)] for number in range(25))

    # when
    lines = b"".join(data for data, _ in exports._statement_batches(chunks, dsa.StatementReport()))

    # then
    assert [len(body["statements"]) for body in bodies(lines)] == [100, 100, 50]
    assert [s["puid"] for body in bodies(lines) for s in body["statements"]] == [f"p-{i}" for i in range(250)]


def test_statements_are_written_a_chunk_at_a_time(decided_comparative):
    """The export encodes each chunk as it arrives: nothing waits for the whole log."""
    chunks = list(exports._records(audit_requests(exercise=exercise_default()), "dsa-sor-csv", personal=False))
    pulled = []

    def one_at_a_time():
        for chunk in chunks * 3:
            pulled.append(1)
            yield chunk

    stream = exports.encode(one_at_a_time(), "dsa-sor-csv", dsa.StatementReport())
    header, _ = next(stream)
    first, _ = next(stream)
    assert header.startswith(b"uuid,decision_visibility,")
    assert first and len(pulled) == 1


@pytest.mark.parametrize(("change", "problem"), [
    (lambda s: s.pop("decision_ground"), "decision_ground is required"),
    (lambda s: s.update(decision_visibility=["DECISION_VISIBILITY_GONE"]), "decision_visibility has"),
    (lambda s: s.update(category="STATEMENT_CATEGORY_SPAM"), "category is 'STATEMENT_CATEGORY_SPAM'"),
    (lambda s: s.update(territorial_scope=["KZ"]), "territorial_scope has 'KZ'"),
    (lambda s: s.update(territorial_scope=["EL"]), "territorial_scope has 'EL'"),
    (lambda s: s.update(puid="CRS-2021-000001/1"), "puid 'CRS-2021-000001/1' has characters"),
    (lambda s: s.update(puid="x" * 501), "puid is 501 characters long"),
    (lambda s: s.update(decision_facts="x" * 5001), "decision_facts is 5001 characters long"),
    (lambda s: s.update(content_date="1999-12-31"), "content_date 1999-12-31 is outside"),
    (lambda s: s.update(application_date="2021-13-01"), "application_date must be a date"),
    (lambda s: s.update(content_language="kk"), "content_language must be an upper-case"),
    (lambda s: s.update(automated_detection="yes"), "automated_detection is 'yes'"),
    (lambda s: s.update(incompatible_content_ground="Community standards"), "incompatible_content_ground is allowed"),
    (lambda s: s.pop("illegal_content_legal_ground"), "illegal_content_legal_ground is required"),
    (lambda s: s.update(decision_visibility=["DECISION_VISIBILITY_OTHER"]), "decision_visibility_other is required"),
    (lambda s: s.update(source_type="SOURCE_VOLUNTARY"), "source_identity is allowed only"),
    (lambda s: s.update(surname="Nurlanov"), "surname is not a field"),
])
def test_the_rules_refuse_a_statement_that_breaks_one(change, problem):
    statement = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"], "decision_ground": dsa_rules.ILLEGAL_CONTENT,
        "illegal_content_legal_ground": "StGB § 130", "illegal_content_explanation": "Incites hatred.",
        "content_type": ["CONTENT_TYPE_TEXT"], "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "territorial_scope": ["DE"], "content_date": "2021-10-01", "application_date": "2021-11-02",
        "decision_facts": "Incites hatred.", "source_type": "SOURCE_TYPE_OTHER_NOTIFICATION",
        "source_identity": "Bundesnetzagentur (DE)", "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_PARTIALLY", "puid": "CRS-2021-000001-1",
    }
    assert dsa_rules.statement_problems(statement) == [] == reference_rule_breaches(statement)

    broken = copy.deepcopy(statement)
    change(broken)

    assert any(message.startswith(problem) for message in dsa_rules.statement_problems(broken)), (
        dsa_rules.statement_problems(broken))


def test_a_background_job_reports_what_it_could_not_express(decided_comparative, auditor):
    job = exports.export_job_create(actor=auditor, exercise=exercise_default(), fmt="dsa-sor-csv", filters={})

    job = exports.export_job_run(job_id=job.pk)

    assert job.status == ExportJob.Status.DONE and not job.personal_data
    expected = removing_or_restricting_decisions()
    assert job.report["statements"] + job.report["not_expressible"] == len(expected)
    assert job.report["not_expressible"] == len(job.report["listed"]) > 0
    rows = list(csv.DictReader(exports.export_path(job).open(newline="", encoding="utf-8")))
    assert len(rows) == job.report["statements"]


def test_auditors_stream_the_statements_and_read_the_report(decided_comparative, auditor, client_for):
    client = client_for(auditor)

    response = client.get("/api/v1/audit/requests/export/", {"format": "dsa-sor-json", "jurisdiction": "DE"})
    report = client.get("/api/v1/audit/requests/dsa-report/", {"jurisdiction": "DE"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    statements = [s for body in bodies(b"".join(response.streaming_content)) for s in body["statements"]]
    assert statements and all(s["puid"].startswith("CRS-") for s in statements)
    assert {s["source_identity"][-4:] for s in statements} == {"(DE)"}
    assert report.status_code == 200
    assert report.json()["statements"] == len(statements)


def test_a_bad_format_is_refused_with_the_formats_named(auditor, client_for, db):
    response = client_for(auditor).get("/api/v1/audit/requests/export/", {"format": "dsa"})

    assert response.status_code == 400
    body = response.json()
    assert "dsa-sor-csv" in json.dumps(body) and "lumen-json" in json.dumps(body)
    assert not AuditEvent.objects.filter(event_type="export_created").exists()


def test_the_statements_and_their_report_are_for_auditors_only(outsider, client_for, db):
    client = client_for(outsider)

    assert client.get("/api/v1/audit/requests/export/", {"format": "dsa-sor-csv"}).status_code == 403
    assert client.get("/api/v1/audit/requests/dsa-report/").status_code == 403


def test_a_decision_that_breaks_a_rule_is_reported_by_the_rule_with_the_values_beside(decided_comparative):
    # given: a record as the export reads it, decided before the database's first day (2020-01-01)
    chunk = next(exports._records(audit_requests(exercise=exercise_default()), "dsa-sor-json", personal=False))
    record = next(r for r in chunk if any(i["decision"] and i["decision"]["action"] == "remove_globally"
                                          for i in r["items"]))
    item = next(i for i in record["items"] if i["decision"] and i["decision"]["action"] == "remove_globally")
    item["decision"]["decided_at"] = "2019-06-30T10:00:00Z"
    report = dsa.StatementReport()

    # when
    statements = dsa.record_statements(record, dsa.StatementFacts(citations={}), report)

    # then
    assert item["position"] not in [int(s["puid"].rsplit("-", 1)[1]) for s, _ in statements]
    assert report.reasons["breaks the database's rules on application_date"] == 1
    (listed,) = [entry for entry in report.listed if entry["item"] == item["position"]]
    assert listed["detail"].startswith("application_date 2019-06-30 is outside 2020-01-01 to 2038-01-01")
