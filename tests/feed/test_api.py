"""The pull feed: sealed events of the auditor's exercise after a log index, with a cursor to read on."""

from __future__ import annotations

import pytest

from audit.log import log_seal_all
from audit.models import LogEntry
from tests.builders import filed, filed_and_screened

URL = "/api/v1/audit/feed/"


@pytest.fixture
def sealed(kz_reporter, harmless_content_code, violating_content_code):
    filed_and_screened(kz_reporter, harmless_content_code)
    filed(kz_reporter, violating_content_code)
    log_seal_all()


def test_auditors_read_the_feed_page_by_page_in_log_order(sealed, auditor, client_for):
    client = client_for(auditor)

    first = client.get(URL, {"limit": 2}).json()
    second = client.get(first["next"]).json()
    rest = client.get(second["next"]).json()

    entries = first["results"] + second["results"] + rest["results"]
    indexes = [e["log_index"] for e in entries]
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)
    assert [e["topic"] for e in entries] == ["filed", "routed", "filed"]
    expected = list(LogEntry.objects.filter(event__event_type__in=["request_submitted", "request_routed"])
                    .order_by("index").values_list("index", "event__event_type"))
    assert [(e["log_index"], e["type"]) for e in entries] == expected
    assert len(first["results"]) == 2 and first["after"] == -1
    assert second["after"] == first["results"][-1]["log_index"]
    assert first["tree_size"] == LogEntry.objects.count()
    # read to the end: the cursor stays where it was until something new is sealed
    assert rest["next"].endswith(f"after={entries[-1]['log_index']}")
    assert client.get(rest["next"]).json()["results"] == []


def test_the_feed_can_keep_to_some_topics_and_names_nobody(sealed, auditor, client_for):
    entries = client_for(auditor).get(URL, {"topic": "routed"}).json()["results"]

    assert [e["type"] for e in entries] == ["request_routed"]
    assert entries[0]["actor"] == "system"
    assert "kz_reporter" not in str(client_for(auditor).get(URL).json())


@pytest.mark.parametrize(("query", "errors"), [
    ({"after": "x"}, {"after": ["Give a whole number."]}),
    ({"after": "-2"}, {"after": ["Give a number of at least -1."]}),
    ({"limit": "5000"}, {"limit": ["Give a number from 1 to 1000."]}),
    ({"topic": "deleted"}, {"topic": ["Unknown topic 'deleted': use any of filed, routed, decided, appealed."]}),
])
def test_a_bad_cursor_is_refused_with_the_field_named(auditor, client_for, db, query, errors):
    response = client_for(auditor).get(URL, query)

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "The request has invalid fields.", "fields": errors}


def test_the_feed_is_for_auditors_only(kz_reporter, client_for, outsider):
    assert client_for(outsider).get(URL).status_code == 403
    assert client_for(kz_reporter.user).get(URL).status_code == 403
