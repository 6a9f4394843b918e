"""The auditors' request log: who may read it, what each record holds, filters and pagination."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from filing.inputs import ItemInput, RequestInput
from filing.services import request_file, request_respond
from reports.models import Exercise, Status, TakedownRequest
from review.models import CheckResult, Decision
from review.services import item_decide, request_claim, request_screen
from tests.builders import JUSTIFICATION, PERSONAL_DATA_GRANTS, PERSONAL_DATA_HOLDERS, personal_data_granted
from tests.statements import statements_sent
from tests.transparency.request_log import agency, at, filed, references

URL = "/api/v1/audit/requests/"


@pytest.fixture
def log(db):
    """Five filed requests in two jurisdictions, a draft, and a request of another exercise."""
    misd, police, bnetza = agency("kz-misd", "KZ"), agency("kz-police", "KZ", authority_type="police"), \
        agency("de-bnetza", "DE", authority_type="regulator")
    requests = {
        "r1": filed(misd, submitted_at=at("2021-03-10 09:00"), category="hate_speech", queue="legal"),
        "r2": filed(misd, submitted_at=at("2021-08-01 00:00"), category="government_criticism",
                    status=Status.DECIDED, queue="human_rights", outcome="none",
                    decided_at=at("2021-08-05 12:00"), decisions=["no_action"]),
        "r3": filed(police, submitted_at=at("2021-09-15 08:00"), category="false_information",
                    status=Status.DECIDED, queue="policy", outcome="full", decided_at=at("2021-09-20 10:00"),
                    decisions=["remove_globally"]),
        "r4": filed(bnetza, submitted_at=at("2021-11-30 17:00"), category="hate_speech",
                    status=Status.NEEDS_INFO),
        "r5": filed(bnetza, submitted_at=at("2022-01-02 10:00"), category="defamation", status=Status.DECIDED,
                    queue="legal", outcome="partial", decided_at=at("2022-01-10 10:00"), items=2,
                    decisions=["restrict_in_jurisdiction", "no_action"]),
    }
    draft = filed(misd, submitted_at=at("2021-10-01 10:00"), status=Status.DRAFT)
    draft.submitted_at = None
    draft.save()
    other = Exercise.objects.create(slug="other-class", name="Another class")
    filed(misd, submitted_at=at("2021-10-01 10:00"), exercise=other)
    return {name: request.reference for name, request in requests.items()}


# --- Who may read ------------------------------------------------------------------------------

@pytest.mark.parametrize("person", ["kz_reporter", "policy_reviewer", "senior_reviewer", "outsider"])
def test_everyone_but_auditors_is_refused_the_request_log(client_for, request, log, person):
    user = request.getfixturevalue(person)
    user = getattr(user, "user", user)

    for path in (URL, f"{URL}{log['r1']}/", f"{URL}export/?format=csv"):
        response = client_for(user).get(path)

        assert response.status_code == 403
        assert response.json() == {"code": "permission_denied", "detail": "Only auditors use the auditors' API.",
                                   "fields": {}}


def test_anonymous_callers_are_asked_to_authenticate(log):
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "results" not in response.json()


def test_auditor_reads_the_log_with_a_token(log, auditor):
    token = Token.objects.create(user=auditor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 5


def test_auditor_reads_the_log_with_a_session(log, auditor):
    client = APIClient()
    client.force_login(auditor)

    assert client.get(URL).json()["count"] == 5


def test_log_lists_filed_requests_of_the_exercise_by_id_without_drafts(client_for, log, auditor):
    body = client_for(auditor).get(URL).json()

    assert references(body["results"]) == [log[name] for name in ("r1", "r2", "r3", "r4", "r5")]
    assert body["count"] == 5


# --- Filters -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ("jurisdiction=KZ", ["r1", "r2", "r3"]),
    ("jurisdiction=de", ["r4", "r5"]),
    ("agency=kz-police", ["r3"]),
    ("category=hate_speech", ["r1", "r4"]),
    ("status=decided", ["r2", "r3", "r5"]),
    ("status=needs_info", ["r4"]),
    ("outcome=full", ["r3"]),
    ("outcome=none", ["r2"]),
    ("outcome=partial", ["r5"]),
    ("queue=legal", ["r1", "r5"]),
    ("queue=human_rights", ["r2"]),
    ("submitted_after=2021-08-01", ["r2", "r3", "r4", "r5"]),
    ("submitted_before=2021-08-01", ["r1"]),
    ("submitted_after=2021-07-01&submitted_before=2022-01-01", ["r2", "r3", "r4"]),
    ("submitted_after=2021-09-15T08:00:00Z", ["r3", "r4", "r5"]),
    ("submitted_after=2021-09-15T08:00:01%2B00:00", ["r4", "r5"]),
    ("decided_after=2021-09-01", ["r3", "r5"]),
    ("decided_before=2021-09-20", ["r2"]),
    ("jurisdiction=KZ&status=decided", ["r2", "r3"]),
    ("jurisdiction=DE&category=government_criticism", []),
])
def test_each_filter_narrows_the_log(client_for, log, auditor, query, expected):
    body = client_for(auditor).get(f"{URL}?{query}").json()

    assert references(body["results"]) == [log[name] for name in expected]
    assert body["count"] == len(expected)


@pytest.mark.parametrize(("query", "field", "message"), [
    ("status=draft", "status", "Select a valid choice. draft is not one of the available choices."),
    ("queue=vip", "queue", "Select a valid choice. vip is not one of the available choices."),
    ("submitted_after=yesterday", "submitted_after", "Enter a valid date/time."),
    ("jurisdiction=KAZ", "jurisdiction", "Ensure this value has at most 2 characters (it has 3)."),
])
def test_a_bad_filter_is_refused_field_by_field(client_for, log, auditor, query, field, message):
    response = client_for(auditor).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "The request has invalid fields.",
                               "fields": {field: [message]}}


# --- Pagination ----------------------------------------------------------------------------------

def test_pages_are_stable_and_complete(client_for, log, auditor):
    client = client_for(auditor)

    first = client.get(f"{URL}?page_size=2").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    assert [first["count"], second["count"], third["count"]] == [5, 5, 5]
    assert references(first["results"] + second["results"] + third["results"]) == [
        log[name] for name in ("r1", "r2", "r3", "r4", "r5")]
    assert first["previous"] is None and third["next"] is None
    assert third["previous"].endswith("page=2&page_size=2")


def test_a_page_past_the_end_is_not_found(client_for, log, auditor):
    response = client_for(auditor).get(f"{URL}?page=4&page_size=2")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Invalid page.", "fields": {}}


def test_filters_carry_over_to_the_next_page(client_for, log, auditor):
    client = client_for(auditor)

    first = client.get(f"{URL}?jurisdiction=KZ&page_size=2").json()
    second = client.get(first["next"]).json()

    assert references(second["results"]) == [log["r3"]]


def test_one_request_by_reference_and_none_from_another_exercise(client_for, log, auditor):
    from reports.models import TakedownRequest

    elsewhere = TakedownRequest.objects.exclude(exercise__slug="default").get().reference
    client = client_for(auditor)

    assert client.get(f"{URL}{log['r5']}/").json()["reference"] == log["r5"]
    missing = client.get(f"{URL}{elsewhere}/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_the_list_reads_the_same_number_of_queries_for_one_row_or_many(client_for, log, auditor):
    from django.db import connection

    client = client_for(auditor)
    client.get(URL)  # warm the permission caches

    with CaptureQueriesContext(connection) as one_row:
        assert len(client.get(f"{URL}?page_size=1").json()["results"]) == 1
    with CaptureQueriesContext(connection) as five_rows:
        assert len(client.get(f"{URL}?page_size=500").json()["results"]) == 5

    # count, page, then citations, checks, decisions and items: whatever the page holds
    assert len(one_row) == len(five_rows) <= 10


# --- What a record holds -------------------------------------------------------------------------

def test_a_record_matches_the_workflow_round_by_round(client_for, kz_reporter, senior_reviewer, auditor,
                                                      violating_content_code):
    # given a request screened twice (sent back for a legal basis, answered) and then decided
    filing = RequestInput(items=[ItemInput(content_id=violating_content_code)], category="hate_speech",
                          legal_basis=[], requested_action="remove_globally", justification=JUSTIFICATION)
    request, _ = request_file(reporter=kz_reporter, data=filing)
    request_screen(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == Status.NEEDS_INFO
    request_respond(reporter=kz_reporter, request=request, message="Here is the legal basis.",
                    changes={"legal_basis": ["KZ-CC-174"]})
    request = request_screen(request_id=request.pk)
    request_claim(reviewer=senior_reviewer, request=request)
    item = request.items.get()
    item_decide(reviewer=senior_reviewer, item=item, action="remove_globally", reason_code="policy_violation",
                rationale="Violates the community standard on violence.")
    request.refresh_from_db()
    item.refresh_from_db()

    # when
    record = client_for(auditor).get(f"{URL}{request.reference}/").json()

    # then
    latest = CheckResult.objects.filter(request=request, round=2).order_by("position")
    decision = Decision.objects.get(item=item)
    assert record["checks"] == [
        {"round": 2, "name": check.name, "version": check.version, "verdict": check.verdict,
         "flags": check.flags, "explanation": check.explanation} for check in latest]
    assert CheckResult.objects.filter(request=request, round=1).count() == 4
    assert record["routing"] == {
        "queue": request.queue, "priority": request.priority,
        "sla_due_at": request.sla_due_at.isoformat().replace("+00:00", "Z"), "sla_breached": False,
        "workflow_version": "1", "rules_version": request.rules_version, "screening_round": 2, "review_round": 1}
    assert {key: record[key] for key in ("reference", "jurisdiction", "agency", "authority_type", "category",
                                         "provisions", "requested_action", "urgency", "has_court_order",
                                         "court_order", "status", "outcome", "submission_method")} == {
        "reference": request.reference, "jurisdiction": "KZ", "agency": "kz-misd", "authority_type": "ministry",
        "category": "hate_speech", "provisions": ["KZ-CC-174"], "requested_action": "remove_globally",
        "urgency": "standard", "has_court_order": False, "court_order": None, "status": "decided",
        "outcome": "full", "submission_method": "api"}
    assert record["decided_at"] == request.decided_at.isoformat().replace("+00:00", "Z")
    [out] = record["items"]
    assert out["content_id"] == violating_content_code
    assert out["snapshot_sha256"] == item.snapshot_sha256
    assert out["decision"] == out["decisions"][0] == {
        "round": 1, "action": "remove_globally", "reason_code": "policy_violation",
        "rationale": "Violates the community standard on violence.", "reviewer_tier": "senior_reviewer",
        "contradicts_checks": decision.contradicts_checks,
        "decided_at": decision.decided_at.isoformat().replace("+00:00", "Z")}


def test_a_reconsidered_item_keeps_every_rounds_decision(client_for, log, auditor):
    from reports.models import TakedownRequest

    request = TakedownRequest.objects.get(reference=log["r3"])
    item = request.items.get()
    request.review_round = 2
    request.save()
    Decision.objects.create(request=request, item=item, round=2, action="no_action", reason_code="not_unlawful",
                            rationale="On reconsideration, lawful.", reviewer=item.decisions.get().reviewer,
                            reviewer_tier="senior_reviewer")

    [out] = client_for(auditor).get(f"{URL}{log['r3']}/").json()["items"]

    assert [d["round"] for d in out["decisions"]] == [1, 2]
    assert out["decision"]["action"] == "no_action"


def test_the_list_total_is_counted_again_when_the_record_changes(client_for, log, auditor, kz_reporter):

    client = client_for(auditor)
    assert client.get(URL).json()["count"] == 5

    # given a view whose total is already known: it is not counted again
    with statements_sent() as repeated:
        assert client.get(URL).json()["count"] == 5
    assert not [sql for sql in repeated if "COUNT(" in sql]

    # when a request is filed (which writes an audit event), the next view counts it
    request_file(reporter=kz_reporter, data=RequestInput(
        items=[ItemInput(content_id="kz-0007")], category="hate_speech", legal_basis=["KZ-CC-174"],
        requested_action="restrict_in_jurisdiction", justification=JUSTIFICATION))

    assert client.get(URL).json()["count"] == 6


# --- What a call costs -----------------------------------------------------------------------------

# Token and its user, the caller's groups, then whether they may see personal data, their exercise and on
# PostgreSQL the log's version (its snapshot and newest ids), under which a page already served is answered
# from the cache: on PostgreSQL one statement for the three, elsewhere two queries. A page not served yet
# then reads the record's stamp (the total is counted once per change of the record) and the page's
# requests, then its records: on PostgreSQL one statement that writes them as JSON, elsewhere its
# citations, checks, decisions and items. Whatever the page size.
CACHED_LIST_QUERIES = 3
POSTGRESQL = connection.vendor == "postgresql"
LIST_QUERIES = 6 if POSTGRESQL else 10


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def sql_of(client, path: str) -> list[str]:
    return answer_and_sql(client, path)[1]


def answer_and_sql(client, path: str) -> tuple[bytes, list[str]]:
    with statements_sent() as sent:
        response = client.get(path)
    assert response.status_code == 200, response.json()
    return response.content, sent


def test_the_request_log_costs_the_same_queries_for_one_request_a_page_or_five(log, auditor):
    client = token_client(auditor)
    client.get(URL)  # counts the total once for the record as it stands

    one, five = sql_of(client, f"{URL}?page_size=1"), sql_of(client, f"{URL}?page_size=5")

    assert len(one) == len(five) == LIST_QUERIES
    assert len(set(five)) == len(five), "a query repeats within one call"


def server_snapshot() -> str:
    """PostgreSQL's current snapshot, part of a cached page's key: a commit in any database of the server moves it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


@pytest.mark.skipif(not POSTGRESQL, reason="pages are cached under PostgreSQL's snapshot")
def test_a_page_asked_for_again_under_the_same_log_is_answered_from_the_cache(log, auditor):
    client = token_client(auditor)
    # Asked twice while the server stays still: a commit elsewhere on it (another test process, another
    # database) between the two asks is a new snapshot and rightly a new answer, so that pair is asked again.
    for _attempt in range(5):
        before = server_snapshot()
        first, _ = answer_and_sql(client, f"{URL}?page_size=2")

        again, sql = answer_and_sql(client, f"{URL}?page_size=2")

        if server_snapshot() == before:
            break
    else:
        pytest.fail("another transaction committed on the server between every pair of asks")
    assert again == first
    assert len(sql) == CACHED_LIST_QUERIES
    assert not [query for query in sql if "reports_requestitem" in query and "max(id)" not in query]
    # Another page, filter or size is another answer, read from the database.
    for other in (f"{URL}?page_size=2&page=2", f"{URL}?page_size=2&jurisdiction=KZ", f"{URL}?page_size=3"):
        assert [query for query in sql_of(client, other) if "reports_requestitem" in query and "max(id)" not in query]


def test_a_cached_page_never_reaches_a_caller_without_the_right_to_personal_data(log, auditor, kz_reporter):
    from django.contrib.auth.models import Permission

    request = TakedownRequest.objects.get(reference=log["r1"])
    request.submitted_by = kz_reporter.user
    request.save()
    privileged = type(auditor).objects.create(username="privileged-auditor")
    privileged.groups.set(auditor.groups.all())
    privileged.user_permissions.add(Permission.objects.get(codename="view_personal_data"))

    # given the page served first to a caller who may see personal data
    named = token_client(privileged).get(f"{URL}?page_size=1").json()["results"][0]
    # when an auditor without that right asks for the same page
    plain = token_client(auditor).get(f"{URL}?page_size=1").json()["results"][0]

    # then
    assert named["submitted_by"] == kz_reporter.user.username
    assert plain["submitted_by"] is None
    assert plain["items"][0]["author_handle"] is None


def test_a_revoked_token_is_refused_at_once_even_for_a_cached_page(log, auditor):
    client = token_client(auditor)
    assert client.get(URL).status_code == 200

    Token.objects.filter(user=auditor).delete()

    assert client.get(URL).status_code == 401


def test_an_auditor_whose_role_is_removed_is_refused_at_once(log, auditor):
    client = token_client(auditor)
    assert client.get(URL).status_code == 200

    auditor.groups.clear()

    assert client.get(URL).status_code == 403


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not POSTGRESQL, reason="pages are cached under PostgreSQL's snapshot")
def test_a_change_committed_without_an_audit_event_shows_on_the_next_page(auditor):
    from reports.models import Agency

    filed(agency("kz-misd", "KZ", name="Ministry of Information"), submitted_at=at("2021-03-10 09:00"))
    client = token_client(auditor)
    assert client.get(URL).json()["results"][0]["agency_name"] == "Ministry of Information"

    # when the agency is renamed (no request changes, no event is written)
    Agency.objects.filter(code="kz-misd").update(name="Ministry of Digital Development")

    # then
    assert client.get(URL).json()["results"][0]["agency_name"] == "Ministry of Digital Development"


@pytest.mark.parametrize("who", [*PERSONAL_DATA_GRANTS, "student", "student reporter"])
def test_the_callers_standing_read_in_one_statement_is_what_each_read_alone_answers(log, auditor, classroom, who):
    from reports.roles import may_see_personal_data
    from reports.tenancy import exercise_for_user
    from transparency.selectors import auditors_view, request_log_version

    user = {"student": classroom.legal, "student reporter": classroom.reporter}.get(who, auditor)
    user = personal_data_granted(user, who if who in PERSONAL_DATA_GRANTS else "none")

    together = auditors_view(user)

    assert together.exercise == exercise_for_user(user)
    assert together.exercise.created_at == exercise_for_user(user).created_at
    assert together.personal is may_see_personal_data(user)
    assert together.personal is (who in PERSONAL_DATA_HOLDERS)
    alone = request_log_version(together.exercise)
    if POSTGRESQL:  # the snapshot between the exercise and the newest ids may move with other tests' commits
        assert together.log_version.split(":")[:2] == alone.split(":")[:2]
        assert together.log_version.rsplit(":", 1)[1] == alone.rsplit(":", 1)[1]
    else:
        assert together.log_version is alone is None


@pytest.mark.skipif(not POSTGRESQL, reason="statements written once are prepared on PostgreSQL")
def test_a_statement_run_prepared_is_still_read_with_its_text(auditor):
    from transparency.selectors import auditors_view

    for _ in range(6):  # prepared by the server from here on (CRS_DB_PREPARE_THRESHOLD)
        auditors_view(auditor)

    with CaptureQueriesContext(connection) as captured, statements_sent() as sent:
        auditors_view(auditor)

    assert [query["sql"] for query in captured.captured_queries] == [None]  # what Django records
    assert len(sent) == 1 and "pg_current_snapshot()" in sent[0]
