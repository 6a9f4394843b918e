"""Background exports: create, poll, download; a real worker writes the file; workers are fenced."""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from audit.models import AuditEvent, ExportJob
from reports.models import Status, TakedownRequest
from reports.tenancy import exercise_default
from tests.factories import user_in_role
from tests.transparency.request_log import agency, at, filed
from tests.waiting import wait_until
from transparency import exports

URL = "/api/v1/audit/exports/"


@pytest.fixture
def log(db):
    misd, bnetza = agency("kz-misd", "KZ"), agency("de-bnetza", "DE")
    for day in range(1, 6):
        filed(misd, submitted_at=at(f"2021-08-0{day} 10:00"))
    filed(bnetza, submitted_at=at("2021-08-06 10:00"), status=Status.DECIDED, outcome="none",
          decided_at=at("2021-08-07 10:00"), decisions=["no_action"])


def job_for(auditor, *, fmt="csv", filters=None) -> ExportJob:
    return exports.export_job_create(actor=auditor, exercise=exercise_default(), fmt=fmt, filters=filters or {})


# --- Through the API, on a real worker ---------------------------------------------------------

@pytest.mark.worker
def test_a_background_export_is_written_by_a_worker_and_downloaded(client_for, celery_worker, log, auditor):
    client = client_for(auditor)

    # when an auditor asks for an export
    created = client.post(URL, {"format": "ndjson", "filters": {"jurisdiction": "KZ"}}, format="json")

    # then the job is accepted, and once the worker is done the file holds exactly the filtered requests
    assert created.status_code == 202
    job = created.json()
    assert created["Location"].endswith(f"{URL}{job['id']}/")
    assert (job["status"], job["format"], job["filters"], job["personal_data"]) == (
        "pending", "ndjson", {"jurisdiction": "KZ"}, False)
    done = wait_until(lambda: (body := client.get(f"{URL}{job['id']}/").json())["status"] == "done" and body,
                      message="the export to be written")
    assert (done["rows_done"], done["rows_total"], done["progress"]) == (5, 5, 1.0)
    download = client.get(done["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/x-ndjson; charset=utf-8"
    body = b"".join(download.streaming_content)
    references = [json.loads(line)["reference"] for line in body.decode().splitlines()]
    assert references == list(TakedownRequest.objects.filter(agency__jurisdiction_id="KZ").order_by("id")
                              .values_list("reference", flat=True))
    import hashlib

    assert hashlib.sha256(body).hexdigest() == done["sha256"] and len(body) == done["size"]


# --- The service, step by step ------------------------------------------------------------------

def test_creating_a_job_records_an_export_event_and_enqueues_after_commit(log, auditor,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = job_for(auditor, fmt="csv", filters={"status": "decided", "page": "2"})

    assert len(callbacks) == 1
    assert job.filters == {"status": "decided"}
    event = AuditEvent.objects.get(event_type="export_created")
    assert (event.actor, event.payload) == (auditor, {"kind": "requests.csv.job", "filters": {"status": "decided"},
                                                      "rows": None})


def test_running_a_job_writes_a_private_file_with_progress(log, auditor, settings):
    job = job_for(auditor, fmt="csv", filters={"jurisdiction": "DE"})

    finished = exports.export_job_run(job_id=job.pk)

    path = exports.export_path(finished)
    assert (finished.status, finished.rows_done, finished.rows_total, finished.attempt) == ("done", 1, 1, 1)
    assert path.parent == settings.DATA_DIR / "exports"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert [(row["jurisdiction"], row["outcome"], row["item_decisions"]) for row in rows] == [
        ("DE", "none", "no_action")]
    assert not list(path.parent.glob("*.part"))


def test_running_a_finished_job_again_changes_nothing(log, auditor):
    job = exports.export_job_run(job_id=job_for(auditor).pk)
    before = (job.attempt, job.finished_at, job.sha256, exports.export_path(job).stat().st_mtime_ns)

    again = exports.export_job_run(job_id=job.pk)

    assert (again.attempt, again.finished_at, again.sha256, exports.export_path(again).stat().st_mtime_ns) == before


def test_a_job_held_by_a_live_worker_is_left_to_it(log, auditor):
    job = job_for(auditor)
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempt=1, heartbeat_at=timezone.now())

    with pytest.raises(exports.ExportBusy):
        exports.export_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempt) == ("running", 1)


def test_a_job_whose_worker_went_silent_is_taken_over(log, auditor):
    job = job_for(auditor)
    silent_since = timezone.now() - exports.HEARTBEAT_STALE_AFTER - timedelta(seconds=1)
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempt=1, heartbeat_at=silent_since)

    finished = exports.export_job_run(job_id=job.pk)

    assert (finished.status, finished.attempt, finished.rows_done) == ("done", 2, 6)


def test_a_worker_that_was_replaced_stops_without_touching_the_job(log, auditor, monkeypatch):
    job = job_for(auditor)
    real_write = exports.export_write

    def replaced_midway(queryset, fmt, *, personal, out, progress=None, **options):
        # Another worker claims the job while this one is writing.
        ExportJob.objects.filter(pk=job.pk).update(attempt=99)
        return real_write(queryset, fmt, personal=personal, out=out, progress=progress, **options)

    monkeypatch.setattr(exports, "export_write", replaced_midway)

    result = exports.export_job_run(job_id=job.pk)

    assert (result.status, result.attempt, result.rows_done, result.file_name) == ("running", 99, 0, "")
    assert not list(exports.export_dir().glob(f"{job.pk}*"))


def test_a_job_that_fails_says_so_and_leaves_no_file(log, auditor, monkeypatch):
    job = job_for(auditor)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "export_write", broken)

    with pytest.raises(OSError, match="disk full"):
        exports.export_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "The export could not be written; the worker's log has the details.")
    assert not list(exports.export_dir().glob(f"{job.pk}*"))


# --- Through the API, without a worker ----------------------------------------------------------

def test_a_job_is_not_downloadable_before_it_is_done(client_for, log, auditor):
    job = job_for(auditor)

    response = client_for(auditor).get(f"{URL}{job.pk}/download/")

    assert response.status_code == 409
    assert response.json() == {"code": "not_ready",
                               "detail": "The export is waiting for a worker; download it once its status is done.",
                               "fields": {}}


@pytest.mark.parametrize(("body", "fields"), [
    ({"format": "xlsx"}, {"format": ['"xlsx" is not a valid choice.']}),
    ({"format": "csv", "filters": {"status": "draft"}},
     {"filters.status": ['"draft" is not a valid choice.']}),
    ({"format": "csv", "filters": {"submitted_after": "last week"}},
     {"filters.submitted_after": ["Enter a valid date/time."]}),
    ({"format": "csv", "filters": {"colour": "red"}}, {"filters.colour": ["Unknown filter."]}),
])
def test_a_bad_job_is_refused_and_nothing_is_stored(client_for, log, auditor, body, fields):
    response = client_for(auditor).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "The request has invalid fields.", "fields": fields}
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(event_type="export_created").exists()


def test_an_auditor_sees_only_their_own_jobs(client_for, log, auditor):
    mine = job_for(auditor)
    colleague = user_in_role("second_auditor", "auditor")
    theirs = job_for(colleague)
    exports.export_job_run(job_id=theirs.pk)

    client = client_for(auditor)

    assert [job["id"] for job in client.get(URL).json()["results"]] == [str(mine.pk)]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.get(f"{URL}{theirs.pk}/download/").status_code == 404


@pytest.mark.parametrize("person", ["kz_reporter", "senior_reviewer", "outsider"])
def test_only_auditors_ask_for_exports(client_for, request, log, person):
    user = request.getfixturevalue(person)

    response = client_for(getattr(user, "user", user)).post(URL, {"format": "csv"}, format="json")

    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_a_personal_data_export_needs_the_permission_at_download_too(client_for, log, auditor):
    permission = Permission.objects.get(codename="view_personal_data")
    auditor.user_permissions.add(permission)
    auditor = type(auditor).objects.get(pk=auditor.pk)
    job = exports.export_job_run(job_id=job_for(auditor).pk)
    assert job.personal_data

    auditor.user_permissions.remove(permission)
    response = client_for(type(auditor).objects.get(pk=auditor.pk)).get(f"{URL}{job.pk}/download/")

    assert response.status_code == 403
    assert response.json()["detail"] == ("This export holds personal data, and you no longer hold the permission "
                                         "to see it.")
