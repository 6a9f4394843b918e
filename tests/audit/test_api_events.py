"""The audit trail through the auditors' API: cursor pages, canonical bytes, scope and filters."""

from __future__ import annotations

import base64
import json

import pytest
from rest_framework.test import APIClient

from audit import events
from audit.models import AuditEvent
from reports.models import Exercise
from tests.factories import ReporterFactory, UserFactory
from tests.transparency.request_log import agency, at, filed

URL = "/api/v1/audit/events/"


@pytest.fixture
def trail(db):
    """Events of two requests of the default exercise, one of another exercise, and one installation-wide."""
    misd = agency("kz-misd", "KZ")
    reporter = ReporterFactory(user=UserFactory(username="trail_reporter"), agency=misd).user
    first = filed(misd, submitted_at=at("2021-11-02 09:30"), submitted_by=reporter, decisions=["no_action"])
    second = filed(misd, submitted_at=at("2021-11-03 09:30"), submitted_by=reporter)
    other = filed(misd, submitted_at=at("2021-11-03 09:30"), submitted_by=reporter,
                  exercise=Exercise.objects.create(slug="other-class", name="Another class"))
    ids = {}
    ids["first_submitted"] = events.request_submitted_event(request=first, actor=reporter,
                                                            items=list(first.items.all()), provisions=[]).pk
    ids["second_submitted"] = events.request_submitted_event(request=second, actor=reporter,
                                                             items=list(second.items.all()), provisions=[]).pk
    ids["other_submitted"] = events.request_submitted_event(request=other, actor=reporter,
                                                            items=list(other.items.all()), provisions=[]).pk
    ids["first_screened"] = events.screening_started_event(request=first).pk
    ids["first_decided"] = events.item_decided_event(decision=first.decisions.get()).pk
    ids["installation"] = events.export_created_event(actor=None, kind="requests.csv", filters={}, rows=0).pk
    return {"ids": ids, "first": first, "second": second, "reporter": reporter}


def all_pages(client, url: str) -> tuple[list[dict], int]:
    results, pages = [], 0
    while url:
        body = client.get(url).json()
        assert set(body) == {"next", "previous", "results"}
        results += body["results"]
        url = body["next"]
        pages += 1
    return results, pages


def test_cursor_pages_give_every_event_of_the_exercise_once_in_id_order(client_for, trail, auditor):
    results, pages = all_pages(client_for(auditor), f"{URL}?page_size=2")

    ids = trail["ids"]
    assert [event["id"] for event in results] == [ids[name] for name in (
        "first_submitted", "second_submitted", "first_screened", "first_decided", "installation")]
    assert pages == 3


def test_an_event_carries_its_canonical_bytes_and_a_pseudonymous_actor(client_for, trail, auditor):
    event = AuditEvent.objects.get(pk=trail["ids"]["first_submitted"])

    out = client_for(auditor).get(URL).json()["results"][0]

    assert base64.b64decode(out["canonical"]) == bytes(event.canonical)
    document = json.loads(base64.b64decode(out["canonical"]))
    assert out == {
        "id": event.pk, "uid": str(event.uid), "type": "request_submitted",
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"), "request": trail["first"].reference,
        "actor": f"user:{trail['reporter'].pk}", "actor_role": "reporter", "payload": event.payload,
        "canonical": out["canonical"], "log_index": None, "leaf_hash": None}
    assert document["actor"] == {"id": out["actor"], "role": "reporter"}
    assert document["uid"] == out["uid"]
    assert "trail_reporter" not in json.dumps(out)


def test_system_events_have_the_system_actor(client_for, trail, auditor):
    results = client_for(auditor).get(f"{URL}?type=screening_started").json()["results"]

    assert [(event["id"], event["actor"], event["actor_role"]) for event in results] == [
        (trail["ids"]["first_screened"], "system", "system")]


@pytest.mark.parametrize(("query", "expected"), [
    ("type=request_submitted", ["first_submitted", "second_submitted"]),
    ("type=item_decided", ["first_decided"]),
    ("request={first}", ["first_submitted", "first_screened", "first_decided"]),
    ("request={second}&type=request_submitted", ["second_submitted"]),
    ("type=no_such_type", []),
])
def test_events_filter_by_type_and_request(client_for, trail, auditor, query, expected):
    query = query.format(first=trail["first"].reference, second=trail["second"].reference)

    results = client_for(auditor).get(f"{URL}?{query}").json()["results"]

    assert [event["id"] for event in results] == [trail["ids"][name] for name in expected]


def test_a_forged_cursor_is_not_found(client_for, trail, auditor):
    response = client_for(auditor).get(f"{URL}?cursor=bz1hYmM%3D")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Invalid cursor", "fields": {}}


@pytest.mark.parametrize("person", ["kz_reporter", "legal_reviewer", "outsider"])
def test_only_auditors_read_the_trail(client_for, request, trail, person):
    user = request.getfixturevalue(person)

    response = client_for(getattr(user, "user", user)).get(URL)

    assert response.status_code == 403
    assert "results" not in response.json()


def test_anonymous_callers_cannot_read_the_trail(trail):
    assert APIClient().get(URL).status_code == 401
