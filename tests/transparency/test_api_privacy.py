"""Auditors see agencies and roles, not people: reporters unnamed, affected accounts pseudonymised.

With the explicit permission reports.view_personal_data, the submitter's username and the
author's handle are included.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from audit import events
from reports.models import Status
from tests.factories import ContentFactory, PlatformAccountFactory, UserFactory
from tests.transparency.request_log import agency, at, filed
from transparency.selectors import author_pseudonym

URL = "/api/v1/audit/requests/"


@pytest.fixture
def reported(db):
    """A request by a named reporter about two posts by one account, and one by another account."""
    reporter = UserFactory(username="aigerim.s", email="aigerim.s@gov.example", first_name="Aigerim",
                           last_name="Sarsenova")
    author = PlatformAccountFactory(handle="dimash_reports", display_name="Dimash K.")
    other = PlatformAccountFactory(handle="almaty_cafe")
    posts = [ContentFactory(author=author), ContentFactory(author=author), ContentFactory(author=other)]
    request = filed(agency("kz-misd", "KZ"), submitted_at=at("2021-11-02 09:30"), submitted_by=reporter,
                    items=posts, status=Status.DECIDED, outcome="partial", decided_at=at("2021-11-04 09:30"),
                    decisions=["restrict_in_jurisdiction", "no_action", "no_action"])
    events.request_submitted_event(request=request, actor=reporter, items=list(request.items.all()),
                                   provisions=[])
    for decision in request.decisions.all():
        events.item_decided_event(decision=decision)
    return {"request": request, "reporter": reporter, "author": author, "other": other}


def grant_personal_data(user):
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    return type(user).objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance


PERSONAL = ("aigerim.s", "Aigerim", "Sarsenova", "gov.example", "dimash_reports", "almaty_cafe", "Dimash K.")


def test_without_the_permission_no_name_email_or_handle_appears_anywhere(client_for, reported, auditor):
    client = client_for(auditor)
    reference = reported["request"].reference

    texts = {
        "list": client.get(URL).content.decode(),
        "detail": client.get(f"{URL}{reference}/").content.decode(),
        "csv": b"".join(client.get(f"{URL}export/?format=csv").streaming_content).decode(),
        "ndjson": b"".join(client.get(f"{URL}export/?format=ndjson").streaming_content).decode(),
        "events": client.get("/api/v1/audit/events/").content.decode(),
    }

    for name, text in texts.items():
        for secret in PERSONAL:
            assert secret not in text, f"{secret!r} appears in the {name} output"
    record = json.loads(texts["detail"])
    assert record["submitted_by"] is None
    assert [item["author_handle"] for item in record["items"]] == [None, None, None]
    assert [item["snapshot"]["author"] for item in record["items"]] == ["[redacted]"] * 3
    assert record["agency"] == "kz-misd" and record["authority_type"] == "ministry"
    assert [d["reviewer_tier"] for item in record["items"] for d in item["decisions"]] == ["senior_reviewer"] * 3


def test_affected_accounts_appear_as_stable_keyed_pseudonyms(client_for, reported, auditor):
    client = client_for(auditor)
    reference = reported["request"].reference
    expected_key = hashlib.sha256(b"crs.audit.author-pseudonym" + settings.SECRET_KEY.encode()).digest()
    expected = "acct-" + hmac.new(expected_key, b"dimash_reports", hashlib.sha256).hexdigest()[:16]

    first = client.get(f"{URL}{reference}/").json()
    second = client.get(f"{URL}{reference}/").json()
    row = next(csv.DictReader(io.StringIO(b"".join(
        client.get(f"{URL}export/?format=csv").streaming_content).decode())))

    pseudonyms = [item["author_pseudonym"] for item in first["items"]]
    assert pseudonyms == [expected, expected, author_pseudonym("almaty_cafe")]
    assert pseudonyms[2] != expected
    assert [item["author_pseudonym"] for item in second["items"]] == pseudonyms
    assert row["author_pseudonyms"] == ";".join(pseudonyms)
    assert row["author_handles"] == "" and row["submitted_by"] == ""


def test_with_the_permission_the_submitter_and_handles_are_included(client_for, reported, auditor):
    client = client_for(grant_personal_data(auditor))
    reference = reported["request"].reference

    record = client.get(f"{URL}{reference}/").json()
    row = next(csv.DictReader(io.StringIO(b"".join(
        client.get(f"{URL}export/?format=csv").streaming_content).decode())))
    line = json.loads(b"".join(client.get(f"{URL}export/?format=ndjson").streaming_content).decode())

    assert record["submitted_by"] == "aigerim.s"
    assert [item["author_handle"] for item in record["items"]] == ["dimash_reports", "dimash_reports",
                                                                   "almaty_cafe"]
    assert [item["snapshot"]["author"] for item in record["items"]] == ["dimash_reports", "dimash_reports",
                                                                        "almaty_cafe"]
    assert record["items"][0]["author_pseudonym"] == author_pseudonym("dimash_reports")
    assert (row["submitted_by"], row["author_handles"]) == ("aigerim.s", "dimash_reports;dimash_reports;almaty_cafe")
    assert line == record
    # The permission shows who filed, never how to reach them.
    assert "gov.example" not in json.dumps(record) and "Sarsenova" not in json.dumps(record)


def test_a_redacted_snapshot_keeps_the_hash_of_what_was_reported(client_for, reported, auditor):
    from filing.services import snapshot_hash

    record = client_for(auditor).get(f"{URL}{reported['request'].reference}/").json()
    item = record["items"][0]

    unredacted = {**item["snapshot"], "author": "dimash_reports"}
    assert snapshot_hash(unredacted) == item["snapshot_sha256"]


def test_exports_record_whether_they_held_personal_data(client_for, reported, auditor):
    from audit.models import AuditEvent

    client_for(auditor).get(f"{URL}export/?format=csv")
    client_for(grant_personal_data(auditor)).get(f"{URL}export/?format=ndjson")

    kinds = list(AuditEvent.objects.filter(event_type="export_created").order_by("id")
                 .values_list("payload__kind", flat=True))
    assert kinds == ["requests.csv", "requests.ndjson.personal"]
