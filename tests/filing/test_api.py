"""The reporters' API: file, follow, answer; only ever your own agency's requests."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from reports.models import ContentItem, Evidence, RequestMessage, Status, TakedownRequest
from review.services import item_decide, request_claim, request_screen
from tests.builders import JUSTIFICATION
from tests.statements import statements_sent

pytestmark = pytest.mark.django_db
PAYLOAD = {"items": [{"content_id": "kz-0007"}], "category": "hate_speech", "legal_basis": ["KZ-CC-174"],
           "requested_action": "restrict_in_jurisdiction", "justification": JUSTIFICATION}


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def kz_api(kz_reporter) -> APIClient:
    return api_for(kz_reporter.user)


def file(client, **overrides) -> dict:
    response = client.post("/api/v1/requests/", {**PAYLOAD, **overrides}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_filing_answers_201_with_the_request(kz_api, kz_reporter):
    body = file(kz_api)

    assert body["status"] == "submitted"
    assert body["reference"].startswith("CRS-")
    assert body["agency"] == "kz-misd" and body["jurisdiction"] == "KZ"
    assert body["items"][0]["content_id"] == "kz-0007" and body["items"][0]["decision"] is None
    assert body["legal_basis"] == ["KZ-CC-174"]
    assert [entry["type"] for entry in body["timeline"]] == ["request_submitted"]
    assert TakedownRequest.objects.get(reference=body["reference"]).submission_method == "api"


def test_a_screened_request_shows_its_checks_queue_and_sla(kz_api):
    reference = file(kz_api)["reference"]
    request_screen(request_id=TakedownRequest.objects.get(reference=reference).pk)

    body = kz_api.get(f"/api/v1/requests/{reference}/").json()

    assert body["status"] == "queued"
    assert body["queue"] in ("policy", "legal", "human_rights")
    assert body["priority"] in (1, 2, 3) and body["sla_due_at"]
    assert body["workflow_version"] == "1"
    assert [c["name"] for c in body["checks"]] == ["completeness", "platform_policy", "local_law", "human_rights"]
    assert all(set(c) >= {"name", "version", "verdict", "flags", "explanation"} for c in body["checks"])


def test_invalid_input_answers_400_with_a_message_per_field_and_stores_nothing(kz_api):
    response = kz_api.post("/api/v1/requests/", {**PAYLOAD, "items": [{"content_id": "kz-9999"}],
                                                 "category": "dissent"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "The request has invalid fields.",
                               "fields": {"category": ['"dissent" is not a valid choice.']}}
    assert TakedownRequest.objects.count() == 0


def test_domain_errors_use_the_same_format(kz_api):
    response = kz_api.post("/api/v1/requests/", {**PAYLOAD, "items": [{"content_id": "kz-9999"}]}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"items.0.content_id": ["No content with id 'kz-9999' on the platform."]}


def test_a_repeated_external_id_answers_200_with_the_first_request(kz_api):
    first = file(kz_api, external_id="MISD-17")

    again = kz_api.post("/api/v1/requests/", {**PAYLOAD, "external_id": "MISD-17"}, format="json")

    assert again.status_code == 200
    assert again.json()["reference"] == first["reference"]
    assert TakedownRequest.objects.count() == 1


def test_a_reporter_lists_only_their_own_agencys_requests(kz_api, kz_prosecutor):
    mine = file(kz_api)["reference"]
    file(api_for(kz_prosecutor.user))

    body = kz_api.get("/api/v1/requests/").json()

    assert [r["reference"] for r in body["results"]] == [mine]


def test_another_agencys_request_answers_404_not_403(kz_api, kz_prosecutor):
    theirs = file(api_for(kz_prosecutor.user))["reference"]

    for method, path in [("get", ""), ("post", "withdraw/"), ("post", "respond/"), ("post", "reconsider/")]:
        response = getattr(kz_api, method)(f"/api/v1/requests/{theirs}/{path}", {"message": "x"}, format="json")
        assert response.status_code == 404, path
    assert TakedownRequest.objects.get(reference=theirs).status == Status.SUBMITTED


def test_people_without_a_reporter_account_get_403(policy_reviewer, auditor):
    for user in (policy_reviewer, auditor):
        response = api_for(user).get("/api/v1/requests/")
        assert response.status_code == 403
        assert response.json()["detail"] == "Only verified reporter accounts use the reporters' API."


def test_anonymous_callers_get_401():
    assert APIClient().get("/api/v1/requests/").status_code == 401


def test_a_pending_reporter_cannot_file(pending_reporter):
    response = api_for(pending_reporter.user).post("/api/v1/requests/", PAYLOAD, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == ("This reporter account is pending verification: the API opens once "
                                         "platform staff have verified it.")
    assert TakedownRequest.objects.count() == 0


def test_a_rejected_reporter_can_no_longer_read_or_act_on_the_agencys_requests(kz_api, kz_reporter):
    reference = file(kz_api)["reference"]
    kz_reporter.verification, kz_reporter.verification_note = "rejected", "Left the ministry."
    kz_reporter.save()

    assert kz_api.get("/api/v1/requests/").status_code == 403
    assert kz_api.get(f"/api/v1/requests/{reference}/").status_code == 403
    assert kz_api.post(f"/api/v1/requests/{reference}/withdraw/", {}, format="json").status_code == 403
    assert TakedownRequest.objects.get(reference=reference).status == Status.SUBMITTED


def test_answering_a_request_for_information_corrects_it_and_screens_it_again(kz_api):
    reference = file(kz_api, legal_basis=[], justification="")["reference"]
    request_screen(request_id=TakedownRequest.objects.get(reference=reference).pk)
    assert kz_api.get(f"/api/v1/requests/{reference}/").json()["status"] == "needs_info"

    response = kz_api.post(f"/api/v1/requests/{reference}/respond/", {
        "message": "Here is the legal basis.", "legal_basis": ["KZ-CC-174"], "justification": JUSTIFICATION},
        format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"
    assert response.json()["legal_basis"] == ["KZ-CC-174"]
    request = TakedownRequest.objects.get(reference=reference)
    request_screen(request_id=request.pk)
    request.refresh_from_db()
    assert (request.status, request.screening_round) == (Status.QUEUED, 2)
    assert RequestMessage.objects.filter(request=request, kind="info_response").get().body == "Here is the legal basis."


def test_responding_when_no_information_was_asked_is_a_409(kz_api):
    reference = file(kz_api)["reference"]

    response = kz_api.post(f"/api/v1/requests/{reference}/respond/", {"message": "hello"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_withdrawing_before_a_decision(kz_api):
    reference = file(kz_api)["reference"]

    response = kz_api.post(f"/api/v1/requests/{reference}/withdraw/", {"reason": "Resolved locally."}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["timeline"][-1]["type"] == "request_withdrawn"


def test_reconsideration_after_a_decision_returns_the_request_to_its_queue_once(kz_api, senior_reviewer):
    reference = file(kz_api)["reference"]
    request = TakedownRequest.objects.get(reference=reference)
    request_screen(request_id=request.pk)
    request.refresh_from_db()
    request_claim(reviewer=senior_reviewer, request=request)
    item_decide(reviewer=senior_reviewer, item=request.items.get(), action="no_action", reason_code="not_unlawful",
                rationale="The post is criticism, not incitement.")
    decided = kz_api.get(f"/api/v1/requests/{reference}/").json()
    assert (decided["status"], decided["outcome"]) == ("decided", "none")
    assert decided["items"][0]["decision"]["rationale"] == "The post is criticism, not incitement."

    response = kz_api.post(f"/api/v1/requests/{reference}/reconsider/", {"message": "Please look again."},
                           format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["review_round"]) == ("queued", 2)


def test_bulk_with_the_same_idempotency_key_files_once(kz_api):
    body = {"requests": [PAYLOAD, {**PAYLOAD, "category": "violence"}]}

    first = kz_api.post("/api/v1/requests/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    again = kz_api.post("/api/v1/requests/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert [r["created"] for r in first.json()["results"]] == [True, True]
    assert TakedownRequest.objects.filter(submission_method="bulk").count() == 2


def test_an_idempotency_key_reused_for_another_batch_is_refused(kz_api):
    kz_api.post("/api/v1/requests/bulk/", {"requests": [PAYLOAD]}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    response = kz_api.post("/api/v1/requests/bulk/", {"requests": [PAYLOAD, PAYLOAD]}, format="json",
                           HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 400
    assert response.json()["fields"] == {"Idempotency-Key": ["This key was used for a different batch; use a new key."]}
    assert TakedownRequest.objects.count() == 1


def test_a_bulk_batch_with_one_bad_request_files_nothing(kz_api):
    response = kz_api.post("/api/v1/requests/bulk/", {"requests": [PAYLOAD, {**PAYLOAD, "legal_basis": ["NOPE"]}]},
                           format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "requests.1.legal_basis.0": ["Unknown provision 'NOPE'; see /api/v1/jurisdictions/<code>/provisions/."]}
    assert TakedownRequest.objects.count() == 0


def test_a_bulk_batch_of_more_than_100_is_refused(kz_api):
    response = kz_api.post("/api/v1/requests/bulk/", {"requests": [PAYLOAD] * 101}, format="json")

    assert response.status_code == 400
    assert "requests" in response.json()["fields"]


def test_evidence_is_recognised_by_its_content(kz_api):
    reference = file(kz_api)["reference"]
    pdf = io.BytesIO(b"%PDF-1.4\n% a court order\n")
    pdf.name = "order.pdf"

    response = kz_api.post(f"/api/v1/requests/{reference}/evidence/", {"file": pdf, "kind": "court_order"},
                           format="multipart")

    assert response.status_code == 201, response.json()
    evidence = Evidence.objects.get()
    assert (evidence.content_type, evidence.original_name, evidence.kind) == ("application/pdf", "order.pdf",
                                                                              "court_order")
    assert not evidence.file.name.endswith("order.pdf"), "stored under a generated name"


def test_a_file_that_only_claims_to_be_a_pdf_is_refused(kz_api):
    reference = file(kz_api)["reference"]
    fake = io.BytesIO(b"<script>alert(1)</script>")
    fake.name = "order.pdf"

    response = kz_api.post(f"/api/v1/requests/{reference}/evidence/", {"file": fake}, format="multipart")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "file": ["Only PDF, PNG and JPEG files are accepted; this file is none of them."]}
    assert Evidence.objects.count() == 0


def test_provisions_and_content_can_be_discovered(kz_api):
    provisions = kz_api.get("/api/v1/jurisdictions/kz/provisions/").json()
    content = kz_api.get("/api/v1/content/?country=KZ").json()

    assert "KZ-CC-174" in [p["code"] for p in provisions]
    assert content["count"] >= 30
    assert all(c["country"] == "KZ" for c in content["results"])


def filing_sql(client, content_ids: list[str]) -> list[str]:
    with statements_sent() as sent:
        file(client, items=[{"content_id": code} for code in content_ids])
    return sent


def test_filing_costs_the_same_queries_for_one_item_or_three(kz_api, kz_reporter):
    codes = list(ContentItem.objects.filter(exercise=kz_reporter.exercise, code__startswith="kz-")
                 .order_by("code").values_list("code", flat=True)[:3])
    file(kz_api)  # the first call reads what stays cached (the active rules)

    one, three = filing_sql(kz_api, codes[:1]), filing_sql(kz_api, codes)

    assert len(codes) == 3
    assert len(one) == len(three) == FILING_QUERIES
    # The caller's reporter account is read once, for the permission and the filing alike.
    assert sum('"reports_reporteraccount"' in sql for sql in three) == 1


# Token and user with the reporter's account (two queries elsewhere than on PostgreSQL), the posts and
# provisions cited, the new request's id from its sequence (elsewhere than on PostgreSQL: its reference
# written after it), the request with its items, citations, event and its place in the sealing queue (one
# statement on PostgreSQL, audit/events.py; four elsewhere), a savepoint and its release. The answer is
# built from what was stored, not read back, and its timeline's one event was just written: no seal is
# read for it.
FILING_QUERIES = 7 if connection.vendor == "postgresql" else 12


def test_the_answer_to_a_filing_is_the_request_as_it_reads_back(kz_api, kz_reporter):
    codes = list(ContentItem.objects.filter(exercise=kz_reporter.exercise, code__startswith="kz-")
                 .order_by("code").values_list("code", flat=True)[:2])

    answer = file(kz_api, items=[{"content_id": code} for code in codes], legal_basis=["KZ-CC-174"],
                  court_order={"court": "Almaty City Court", "case_number": "2-123/21", "date": "2021-10-30"},
                  external_id="misd-2021-001")

    assert answer == kz_api.get(f"/api/v1/requests/{answer['reference']}/").json()
    assert [item["content_id"] for item in answer["items"]] == codes
    assert answer["legal_basis"] == ["KZ-CC-174"]
