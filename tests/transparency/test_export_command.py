"""manage.py export_requests: the same export as the API, to a file, with a progress bar."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from reports.models import Status, TakedownRequest
from tests.factories import UserFactory
from tests.transparency.request_log import agency, at, filed


@pytest.fixture
def log(db):
    misd, bnetza = agency("kz-misd", "KZ"), agency("de-bnetza", "DE")
    reporter = UserFactory(username="aigerim.s")
    filed(misd, submitted_at=at("2021-03-01 10:00"), submitted_by=reporter)
    filed(misd, submitted_at=at("2021-08-01 10:00"), submitted_by=reporter, status=Status.DECIDED, outcome="full",
          decided_at=at("2021-08-02 10:00"), decisions=["remove_globally"])
    filed(bnetza, submitted_at=at("2021-09-01 10:00"), submitted_by=reporter)


def test_the_command_writes_the_filtered_csv_and_records_it(log, tmp_path, capsys):
    output = tmp_path / "kz.csv"

    call_command("export_requests", "--format", "csv", "--jurisdiction", "KZ", "--submitted-after", "2021-07-01",
                 "--output", str(output))

    rows = list(csv.DictReader(output.open(newline="")))
    assert [row["reference"] for row in rows] == list(
        TakedownRequest.objects.filter(agency__jurisdiction_id="KZ", submitted_at__gte=at("2021-07-01"))
        .values_list("reference", flat=True))
    assert [(row["outcome"], row["item_decisions"], row["submitted_by"]) for row in rows] == [
        ("full", "remove_globally", "")]
    event = AuditEvent.objects.get(event_type="export_created")
    assert (event.actor, event.actor_role, event.payload) == (
        None, "system", {"kind": "requests.csv", "filters": {"jurisdiction": "KZ", "submitted_after": "2021-07-01"},
                         "rows": 1})
    err = capsys.readouterr().err
    assert "1/1" in err  # the progress bar
    assert "Exported 1 requests" in err


def test_the_command_writes_ndjson_with_personal_data_when_asked(log, tmp_path):
    output = tmp_path / "all.ndjson"

    call_command("export_requests", "--format", "ndjson", "--personal-data", "--no-progress", "--output", str(output))

    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert [record["submitted_by"] for record in records] == ["aigerim.s"] * 3
    assert AuditEvent.objects.get(event_type="export_created").payload["kind"] == "requests.ndjson.personal"


def test_a_bad_filter_stops_the_command_before_anything_is_written(log, tmp_path):
    output = tmp_path / "never.csv"

    with pytest.raises(CommandError, match=r"^Invalid filter: --queue: Select a valid choice\. vip is not one of "
                                           r"the available choices\.$"):
        call_command("export_requests", "--queue", "vip", "--output", str(output))

    assert not output.exists()
    assert not AuditEvent.objects.filter(event_type="export_created").exists()
