"""The OpenAPI schema is valid, describes every endpoint, and the API keeps to it.

The last test is a property-based run of schemathesis against the WSGI application: for
every operation it generates valid and invalid inputs from the schema itself, calls the API
as an auditor and as a reporter, and checks that no answer is a server error and that every
answer (status code, content type, headers, body) is one the schema allows.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from filing.inputs import CourtOrderInput
from tests.builders import decided, filed_and_screened

EXPECTED_OPERATIONS = {
    ("get", "/api/v1/requests/"), ("post", "/api/v1/requests/"), ("get", "/api/v1/requests/{reference}/"),
    ("post", "/api/v1/requests/{reference}/respond/"), ("post", "/api/v1/requests/{reference}/withdraw/"),
    ("post", "/api/v1/requests/{reference}/reconsider/"), ("post", "/api/v1/requests/{reference}/evidence/"),
    ("post", "/api/v1/requests/bulk/"), ("get", "/api/v1/jurisdictions/"),
    ("get", "/api/v1/jurisdictions/{code}/provisions/"), ("get", "/api/v1/content/"),
    ("get", "/api/v1/content/{content_id}/"),
    ("get", "/api/v1/audit/requests/"), ("get", "/api/v1/audit/requests/{reference}/"),
    ("get", "/api/v1/audit/requests/export/"), ("get", "/api/v1/audit/requests/dsa-report/"),
    ("get", "/api/v1/audit/events/"), ("get", "/api/v1/audit/feed/"),
    ("get", "/api/v1/audit/exports/"), ("post", "/api/v1/audit/exports/"), ("get", "/api/v1/audit/exports/{id}/"),
    ("get", "/api/v1/audit/exports/{id}/download/"), ("get", "/api/v1/transparency/"),
    ("get", "/api/v1/audit/checkpoints/"), ("get", "/api/v1/audit/checkpoints/latest/"),
    ("get", "/api/v1/audit/events/{index}/proof/"), ("get", "/api/v1/audit/consistency/"),
    ("get", "/api/v1/requests/{reference}/receipts/"), ("get", "/api/v1/requests/{reference}/receipts/{event_id}/"),
    ("get", "/log/tile/entries/{path}"), ("get", "/api/v1/audit/verify/"), ("get", "/api/v1/audit/uniformity/"),
}
# Open to anyone: the public figures, and the log's checkpoints and proofs (they reveal only hashes).
PUBLIC_PATHS = {"/api/v1/transparency/", "/api/v1/audit/checkpoints/", "/api/v1/audit/checkpoints/latest/",
                "/api/v1/audit/events/{index}/proof/", "/api/v1/audit/consistency/"}
# Examples per operation and caller: enough to reach every status an operation documents,
# few enough that the whole run stays well under a minute.
EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def schema_document(db):
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_validates_without_a_single_warning(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.0.3")


def test_the_schema_describes_every_endpoint_of_reporters_auditors_and_the_public(schema_document):
    operations = {(method, path) for path, item in schema_document["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}

    assert operations == EXPECTED_OPERATIONS


def test_every_operation_documents_its_errors_in_the_one_error_format(schema_document):
    problems = []
    for path, item in schema_document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            expected = {"429"} | ({"400"} if method == "post" else set()) | (
                set() if path in PUBLIC_PATHS else {"401", "403"}) | ({"404"} if "{" in path else set())
            if expected - set(responses):
                problems.append((method, path, "missing", sorted(expected - set(responses))))
            for code, response in responses.items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if code.startswith("4") and schema != {"$ref": "#/components/schemas/ApiError"}:
                    problems.append((method, path, code, schema))

    assert problems == []


def test_every_operation_has_examples_where_people_read_records(schema_document):
    examples = {(method, path) for path, item in schema_document["paths"].items() for method, operation in item.items()
                if any("examples" in body for response in operation.get("responses", {}).values()
                       for body in response.get("content", {}).values())
                or any("examples" in body for body in operation.get("requestBody", {}).get("content", {}).values())}

    assert {("post", "/api/v1/requests/"), ("get", "/api/v1/audit/requests/"),
            ("get", "/api/v1/audit/requests/{reference}/"), ("get", "/api/v1/audit/events/"),
            ("post", "/api/v1/audit/exports/"), ("get", "/api/v1/transparency/")} <= examples


def test_the_schema_and_the_docs_are_served(client, db):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200 and b"/api/v1/audit/requests/export/" in schema.content
    assert docs.status_code == 200
    assert b"<script>" not in docs.content  # the split view loads its script from a URL: the CSP allows that


@pytest.mark.parametrize(("caller", "path"), [("auditor", "/api/v1/audit/requests/"),
                                              ("reporter", "/api/v1/requests/")])
def test_times_in_any_offset_are_compared_in_utc_and_impossible_ones_refused(request, kz_reporter, caller, path):
    # Found by the schemathesis run below: PostgreSQL stores offsets only up to ±15:59.
    from rest_framework.test import APIClient

    user = request.getfixturevalue("auditor") if caller == "auditor" else kz_reporter.user
    client = APIClient()
    client.force_authenticate(user)

    accepted = client.get(f"{path}?submitted_after=1811-09-23T07:26:07%2B20:17")
    refused = client.get(f"{path}?submitted_after=0001-01-01T00:00:00%2B20:00")

    assert accepted.status_code == 200
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"submitted_after": ["Enter a valid date/time."]}


# --- schemathesis ---------------------------------------------------------------------------

@pytest.fixture
def wsgi_app():
    """The real WSGI application, sharing the test's database transaction.

    Django closes the database connection at the end of each request; inside a test that
    would end the test's transaction, so (as Django's own test client does) that is turned
    off while the test runs.
    """
    from django.core import signals
    from django.db import close_old_connections

    from config.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def filed_and_decided(kz_reporter, senior_reviewer, violating_content_code, harmless_content_code):
    """A decided request and a queued one, so that lists and records have real content to describe."""
    removed = decided(senior_reviewer, filed_and_screened(
        kz_reporter, violating_content_code, court_order=None, requested_action="remove_globally",
        external_id="schema-1"), action="remove_globally", reason="policy_violation",
        rationale="Violates the community standard on violence.")
    queued = filed_and_screened(kz_reporter, harmless_content_code,
                                court_order=CourtOrderInput("Almaty district court", "2-123/2021", None))
    return removed, queued


def test_the_api_keeps_to_its_schema_for_auditors_and_reporters(wsgi_app, filed_and_decided, kz_reporter,
                                                                auditor):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from reports.tenancy import exercise_default
    from transparency.exports import export_job_create, export_job_run

    # A finished export, so that the download endpoint has a file to describe.
    job = export_job_run(job_id=export_job_create(actor=auditor, exercise=exercise_default(), fmt="csv",
                                                  filters={}).pk)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
              response_schema_conformance]
    callers = {"auditor": Token.objects.create(user=auditor).key,
               "reporter": Token.objects.create(user=kz_reporter.user).key}
    failures, calls = [], {"count": 0}

    def exercise(operation, token: str) -> None:
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            calls["count"] += 1
            response = case.call(headers={"Authorization": f"Token {token}"})
            case.validate_response(response, checks=checks)

        call()

    for result in schema.get_all_operations():
        operation = result.ok()
        for caller, token in callers.items():
            try:
                exercise(operation, token)
            except Exception as error:  # one report for all operations, rather than stopping at the first
                failures.append(f"{caller} {operation.label}: {error}")

    # Generated references, ids and codes rarely exist; call each operation once more with ones that do,
    # so that the records themselves (checks, decisions, files) are held to the schema too.
    decided, queued = filed_and_decided
    content_id = decided.items.get().content.code
    request_body = {"items": [{"content_id": content_id}], "category": "hate_speech", "legal_basis": ["KZ-CC-174"],
                    "requested_action": "restrict_in_jurisdiction", "justification": "Unlawful under art. 174."}
    known = [
        ("auditor", "GET", "/api/v1/audit/requests/{reference}/", {"reference": decided.reference}, {}, None, 200),
        ("auditor", "GET", "/api/v1/audit/requests/{reference}/", {"reference": queued.reference}, {}, None, 200),
        ("auditor", "GET", "/api/v1/audit/requests/export/", {}, {"format": "csv"}, None, 200),
        ("auditor", "GET", "/api/v1/audit/requests/export/", {}, {"format": "ndjson"}, None, 200),
        ("auditor", "GET", "/api/v1/audit/exports/{id}/", {"id": str(job.pk)}, {}, None, 200),
        ("auditor", "GET", "/api/v1/audit/exports/{id}/download/", {"id": str(job.pk)}, {}, None, 200),
        ("auditor", "GET", "/api/v1/transparency/", {}, {"format": "csv"}, None, 200),
        ("reporter", "GET", "/api/v1/requests/{reference}/", {"reference": decided.reference}, {}, None, 200),
        ("reporter", "GET", "/api/v1/jurisdictions/{code}/provisions/", {"code": "KZ"}, {}, None, 200),
        ("reporter", "GET", "/api/v1/content/{content_id}/", {"content_id": content_id}, {}, None, 200),
        ("reporter", "POST", "/api/v1/requests/", {}, {}, request_body, 201),
        ("reporter", "POST", "/api/v1/requests/bulk/", {}, {}, {"requests": [request_body]}, 201),
        ("reporter", "POST", "/api/v1/requests/{reference}/respond/", {"reference": queued.reference}, {},
         {"message": "More information."}, 409),
        ("reporter", "POST", "/api/v1/requests/{reference}/withdraw/", {"reference": queued.reference}, {},
         {"reason": "Resolved."}, 200),
        ("reporter", "POST", "/api/v1/requests/{reference}/reconsider/", {"reference": decided.reference}, {},
         {"message": "Please look again."}, 200),
    ]
    for caller, method, path, path_parameters, query, body, expected in known:
        case = schema[path][method].Case(path_parameters=path_parameters, query=query,
                                         **({"body": body, "media_type": "application/json"} if body else {}))
        response = case.call(headers={"Authorization": f"Token {callers[caller]}"})
        try:
            assert response.status_code == expected, response.text[:300]
            case.validate_response(response, checks=checks)
        except Exception as error:
            failures.append(f"{caller} {method} {path} with {path_parameters or query or body}: {error}")

    assert failures == []
    assert calls["count"] >= len(EXPECTED_OPERATIONS) * len(callers) * 3
