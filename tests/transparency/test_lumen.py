"""Lumen notices: one GovernmentRequest per request, in Lumen's shape, from the record."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from reports.models import CitedProvision, TakedownRequest
from tests.builders import filed
from tests.transparency.interop import decide_jurisdictions

ACTION_TAKEN = {"full": "Yes", "partial": "Partial", "none": "No"}


@pytest.fixture
def decided_comparative(comparative_scenario, senior_reviewer):
    return decide_jurisdictions(senior_reviewer, ["DE", "KZ", "BR"])


def test_each_request_is_one_government_request_notice(decided_comparative, tmp_path):
    output = tmp_path / "notices.ndjson"

    # when
    call_command("export_requests", "--format", "lumen-json", "--output", str(output), "--no-progress")

    # then
    notices = [json.loads(line)["notice"] for line in output.read_text(encoding="utf-8").splitlines()]
    requests = {r.reference: r for r in TakedownRequest.objects.exclude(status="draft").select_related(
        "agency", "agency__jurisdiction")}
    assert len(notices) == len(requests) == len(decided_comparative)
    for notice in notices:
        reference = notice["title"].split()[2]
        request = requests[reference]
        assert notice["type"] == "GovernmentRequest" and notice["request_type"] == "Agency"
        assert notice["action_taken"] == ACTION_TAKEN[request.outcome]
        assert notice["jurisdiction_list"] == request.agency.jurisdiction_id
        assert notice["date_sent"] == request.submitted_at.date().isoformat()
        assert notice["body"] == request.justification
        roles = {role["name"]: role["entity_attributes"] for role in notice["entity_notice_roles_attributes"]}
        assert roles["sender"] == {"name": request.agency.name, "kind": "organization",
                                   "country_code": request.agency.jurisdiction_id}
        assert roles["principal"]["name"] == request.agency.jurisdiction.name
        cited = CitedProvision.objects.filter(request=request).select_related("provision").order_by("position")
        assert notice["regulation_list"] == ", ".join(c.provision.citation.replace(",", " ") for c in cited)
        urls = [u["url"] for work in notice["works"] for u in work["infringing_urls"]]
        assert urls == [item.content.url for item in request.items.select_related("content").order_by("position")]


def test_an_undecided_request_is_unspecified(kz_reporter, tmp_path, harmless_content_code):
    filed(kz_reporter, harmless_content_code)
    output = tmp_path / "notices.ndjson"

    call_command("export_requests", "--format", "lumen-json", "--output", str(output), "--no-progress")

    (line,) = output.read_text(encoding="utf-8").splitlines()
    notice = json.loads(line)["notice"]
    assert notice["action_taken"] == "Unspecified"
    assert notice["case_id_number"] == "2-1187/2021"  # the court order's case number
    assert {role["name"] for role in notice["entity_notice_roles_attributes"]} == {
        "sender", "principal", "recipient", "issuing_court"}


def test_auditors_stream_the_notices(decided_comparative, auditor, client_for):
    response = client_for(auditor).get("/api/v1/audit/requests/export/", {"format": "lumen-json",
                                                                          "jurisdiction": "BR"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.lumen.ndjson"')
    notices = [json.loads(line)["notice"] for line in b"".join(response.streaming_content).splitlines()]
    assert notices
    assert [n["jurisdiction_list"] for n in notices] == ["BR"] * TakedownRequest.objects.filter(
        agency__jurisdiction_id="BR").count()
