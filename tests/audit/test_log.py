"""The transparency log: sealing, checkpoints, proofs from the API, verification, tampering."""

from __future__ import annotations

import base64
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from rest_framework.test import APIClient

from audit import log
from audit.models import AuditEvent, Checkpoint, LogEntry, PendingSeal, TreeNode
from tests.audit import rfc9162
from tests.builders import filed


def file_requests(reporter, count: int) -> None:
    codes = ["kz-0001", "kz-0003", "kz-0007", "kz-0010", "kz-0012"]
    for n in range(count):
        filed(reporter, codes[n % len(codes)], court_order=None)


def sealed_in_batches(reporter, batches) -> list[int]:
    sizes = []
    for count in batches:
        file_requests(reporter, count)
        sizes.append(log.log_seal().tree_size)
    return sizes


def canonical_of(index: int) -> bytes:
    return bytes(LogEntry.objects.select_related("event").get(index=index).event.canonical)


@pytest.mark.django_db
def test_sealing_gives_consecutive_indexes_and_signs_a_checkpoint(kz_reporter):
    file_requests(kz_reporter, 5)

    checkpoint = log.log_seal()

    assert checkpoint.tree_size == 5 == AuditEvent.objects.count()
    assert list(LogEntry.objects.values_list("index", flat=True)) == [0, 1, 2, 3, 4]
    assert PendingSeal.objects.count() == 0
    entries = [canonical_of(i) for i in range(5)]
    assert bytes(checkpoint.root_hash) == rfc9162.mth(entries)
    document = log.checkpoint_document(checkpoint)
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(document["public_key"])).verify(
        bytes.fromhex(document["signature"]), base64.b64decode(document["signed_note"]))
    assert log.log_seal() is None, "nothing pending, nothing sealed"


@pytest.mark.django_db
def test_complete_subtrees_are_stored_once(kz_reporter):
    sealed_in_batches(kz_reporter, [3, 5])

    assert sorted(TreeNode.objects.values_list("level", "index")) == [(1, 0), (1, 1), (1, 2), (1, 3), (2, 0), (2, 1),
                                                                      (3, 0)]


@pytest.mark.django_db
def test_inclusion_proofs_from_the_api_verify_with_an_independent_verifier(kz_reporter):
    sizes = sealed_in_batches(kz_reporter, [3, 4, 6])
    api = APIClient()

    for size in sizes:
        entries = [canonical_of(i) for i in range(size)]
        for index in range(size):
            proof = api.get(f"/api/v1/audit/events/{index}/proof/?tree_size={size}").json()
            path = [bytes.fromhex(h) for h in proof["audit_path"]]
            assert bytes.fromhex(proof["leaf_hash"]) == rfc9162.leaf(entries[index])
            assert rfc9162.verify_inclusion(rfc9162.leaf(entries[index]), index, size, path,
                                            bytes.fromhex(proof["root_hash"]))
            assert bytes.fromhex(proof["root_hash"]) == rfc9162.mth(entries)


@pytest.mark.django_db
def test_an_inclusion_proof_fails_for_a_wrong_leaf_index_or_root(kz_reporter):
    (size,) = sealed_in_batches(kz_reporter, [7])
    proof = APIClient().get(f"/api/v1/audit/events/3/proof/?tree_size={size}").json()
    path = [bytes.fromhex(h) for h in proof["audit_path"]]
    leaf, root = bytes.fromhex(proof["leaf_hash"]), bytes.fromhex(proof["root_hash"])

    assert rfc9162.verify_inclusion(leaf, 3, size, path, root)
    assert not rfc9162.verify_inclusion(rfc9162.leaf(canonical_of(4)), 3, size, path, root)
    assert not rfc9162.verify_inclusion(leaf, 2, size, path, root)
    assert not rfc9162.verify_inclusion(leaf, 3, size, path, rfc9162.leaf(b"another root"))


@pytest.mark.django_db
def test_consistency_proofs_between_checkpoints_verify(kz_reporter):
    sizes = sealed_in_batches(kz_reporter, [1, 2, 5, 8])
    api = APIClient()

    for first in sizes:
        for second in sizes:
            if first > second:
                continue
            proof = api.get(f"/api/v1/audit/consistency/?first={first}&second={second}").json()
            path = [bytes.fromhex(h) for h in proof["proof"]]
            first_root, second_root = bytes.fromhex(proof["first_root"]), bytes.fromhex(proof["second_root"])
            assert first_root == rfc9162.mth([canonical_of(i) for i in range(first)])
            assert rfc9162.verify_consistency(first, second, first_root, second_root, path), (first, second)
            if first < second:
                assert not rfc9162.verify_consistency(first, second, rfc9162.leaf(b"forged"), second_root, path)


@pytest.mark.django_db
def test_proofs_are_only_given_for_checkpointed_sizes(kz_reporter):
    sealed_in_batches(kz_reporter, [4])
    api = APIClient()

    response = api.get("/api/v1/audit/events/1/proof/?tree_size=3")
    assert response.status_code == 400
    assert response.json()["fields"] == {"tree_size": [
        "There is no checkpoint at tree size 3; ask for a size a checkpoint has signed."]}
    assert api.get("/api/v1/audit/events/9/proof/?tree_size=4").status_code == 400
    assert api.get("/api/v1/audit/consistency/?first=4&second=2").status_code == 400
    response = api.get("/api/v1/audit/consistency/?first=x&second=4")
    assert response.json()["fields"] == {"first": ["Give a whole number."]}


@pytest.mark.django_db
def test_checkpoints_are_listed_newest_first_and_the_latest_has_its_own_url(kz_reporter):
    sizes = sealed_in_batches(kz_reporter, [2, 3])
    api = APIClient()

    listed = api.get("/api/v1/audit/checkpoints/").json()
    latest = api.get("/api/v1/audit/checkpoints/latest/").json()

    assert [c["tree_size"] for c in listed["results"]] == sorted(sizes, reverse=True)
    assert latest["tree_size"] == sizes[-1]
    assert set(latest) == {"tree_size", "root_hash", "timestamp", "signature", "public_key", "key_id", "origin",
                           "signed_note"}


@pytest.mark.django_db
def test_the_latest_checkpoint_of_an_empty_log_is_404():
    assert APIClient().get("/api/v1/audit/checkpoints/latest/").status_code == 404


@pytest.mark.django_db
def test_a_sound_log_verifies(kz_reporter, auditor, capsys):
    sealed_in_batches(kz_reporter, [3, 6])
    file_requests(kz_reporter, 2)  # written, not sealed yet
    api = APIClient()
    api.force_authenticate(auditor)

    assert api.get("/api/v1/audit/verify/").json() == {"ok": True, "events": 9, "pending": 2,
                                                       "checkpoints_checked": 2, "first_broken": None}
    call_command("verify_audit_log", verbosity=0)
    assert "OK: 9 event(s) sealed, 2 checkpoint(s) verified, 2 pending." in capsys.readouterr().out


@pytest.mark.django_db
def test_only_auditors_may_run_verification(kz_reporter, policy_reviewer):
    api = APIClient()
    assert api.get("/api/v1/audit/verify/").status_code == 401
    api.force_authenticate(policy_reviewer)
    assert api.get("/api/v1/audit/verify/").status_code == 403


def _behind_the_servers_back(sql: str, params: list, table: str) -> None:
    """Change a row as an attacker with database access would: with the append-only trigger disabled."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks would block ALTER TABLE inside the test's transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


@pytest.mark.django_db
def test_an_event_rewritten_behind_the_servers_back_is_found_and_named(kz_reporter, auditor):
    sealed_in_batches(kz_reporter, [4, 4])
    victim = LogEntry.objects.get(index=5).event
    forged = bytes(victim.canonical).replace(b'"type":"', b'"type":"forged_')
    assert forged != bytes(victim.canonical)

    _behind_the_servers_back("UPDATE audit_auditevent SET canonical = %s WHERE id = %s", [forged, victim.pk],
                             "audit_auditevent")

    result = log.log_verify()
    assert not result.ok
    assert result.first_broken["leaf_index"] == 5
    assert result.first_broken["event_id"] == victim.pk
    api = APIClient()
    api.force_authenticate(auditor)
    assert api.get("/api/v1/audit/verify/").json()["first_broken"]["leaf_index"] == 5
    with pytest.raises(CommandError, match=f"First bad leaf: 5 \\(event {victim.pk}\\)"):
        call_command("verify_audit_log", verbosity=0)


@pytest.mark.django_db
def test_a_rewritten_leaf_hash_is_found_in_the_tree(kz_reporter):
    sealed_in_batches(kz_reporter, [8])
    forged = rfc9162.leaf(b"forged")

    _behind_the_servers_back("UPDATE audit_logentry SET leaf_hash = %s WHERE \"index\" = %s", [forged, 2],
                             "audit_logentry")

    result = log.log_verify()
    assert not result.ok
    assert result.first_broken["leaf_index"] == 2
    assert any("signed root differs" in problem for problem in result.problems)


@pytest.mark.django_db
def test_event_fields_edited_without_touching_the_bytes_are_found(kz_reporter):
    sealed_in_batches(kz_reporter, [3])
    victim = LogEntry.objects.get(index=1).event

    _behind_the_servers_back("UPDATE audit_auditevent SET event_type = %s WHERE id = %s", ["request_withdrawn",
                                                                                           victim.pk],
                             "audit_auditevent")

    result = log.log_verify()
    assert result.first_broken == {"leaf_index": 1, "event_id": victim.pk,
                                   "reason": f"leaf 1 (event {victim.pk}): the event's fields no longer match its "
                                             "canonical bytes"}


@pytest.mark.django_db
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the append-only triggers are PostgreSQL's")
@pytest.mark.parametrize("statement", ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}"])
@pytest.mark.parametrize("table, column", [("audit_auditevent", "event_type"), ("audit_logentry", "leaf_hash"),
                                           ("audit_treenode", "hash"), ("audit_checkpoint", "root_hash")])
def test_the_database_refuses_to_change_the_log(kz_reporter, statement, table, column):
    sealed_in_batches(kz_reporter, [2])

    with pytest.raises(DatabaseError, match="audit records are append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(statement.format(table=table, column=column))


@pytest.mark.django_db(transaction=True)
def test_two_sequencers_started_together_produce_one_consistent_log(kz_reporter):
    file_requests(kz_reporter, 60)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sequencer():
        try:
            barrier.wait()
            while (checkpoint := log.log_seal(batch_limit=7)) is not None:
                results.append(checkpoint.tree_size)
        except Exception as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sequencer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # (A Celery worker from another test may screen these requests meanwhile, adding events: count what is there.)
    sealed = LogEntry.objects.count()
    assert errors == []
    assert sealed >= 60
    assert sorted(LogEntry.objects.values_list("index", flat=True)) == list(range(sealed))
    assert LogEntry.objects.values("event_id").distinct().count() == sealed
    assert sorted(results) == sorted(set(results)) and max(results) == sealed
    assert log.log_verify().ok
    assert Checkpoint.objects.count() == len(results)


@pytest.mark.worker
def test_after_a_run_of_many_requests_every_event_is_sealed(celery_worker, kz_reporter):
    from audit.tasks import log_seal_all
    from reports.models import Status, TakedownRequest
    from tests.waiting import wait_until

    file_requests(kz_reporter, 25)
    wait_until(lambda: not TakedownRequest.objects.filter(status__in=[Status.SUBMITTED, Status.SCREENING]).exists(),
               timeout=180, message="every request to be screened")

    log_seal_all.delay()
    wait_until(lambda: PendingSeal.objects.count() == 0, message="the sequencer to seal every event")

    assert LogEntry.objects.count() == AuditEvent.objects.count() > 25 * 6
    assert Checkpoint.objects.order_by("-tree_size").first().tree_size == AuditEvent.objects.count()
    assert log.log_verify().ok


@pytest.mark.django_db
def test_each_sealed_event_names_the_first_checkpoint_whose_tree_holds_it(kz_reporter):
    file_requests(kz_reporter, 2)
    first = log.log_seal()
    file_requests(kz_reporter, 1)
    second = log.log_seal()
    file_requests(kz_reporter, 1)
    events = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))

    status = log.seal_status([*events, 10**9])

    assert (first.tree_size, second.tree_size) == (2, 3)
    assert [(status[e].log_index, status[e].checkpoint_size) for e in events] == [
        (0, 2), (1, 2), (2, 3), (None, None)]
    assert status[10**9] == log.SealStatus(None, None)


@pytest.mark.django_db
def test_a_requests_timeline_shows_which_events_are_sealed_and_in_which_checkpoint(kz_reporter):
    from reports.models import TakedownRequest
    from review.timeline import request_timeline

    file_requests(kz_reporter, 2)
    first = log.log_seal()
    file_requests(kz_reporter, 1)
    request = TakedownRequest.objects.order_by("id").first()
    later = TakedownRequest.objects.order_by("id").last()

    sealed = request_timeline(request)
    pending = request_timeline(later)

    assert [(e.log_index, e.checkpoint, e.sealed) for e in sealed] == [(0, first.tree_size, True)]
    assert [(e.log_index, e.checkpoint, e.sealed) for e in pending] == [(None, None, False)]


@pytest.mark.django_db
def test_the_events_api_gives_each_events_place_in_the_log(kz_reporter, auditor):
    file_requests(kz_reporter, 2)
    log.log_seal()
    file_requests(kz_reporter, 1)
    api = APIClient()
    api.force_authenticate(auditor)

    events = api.get("/api/v1/audit/events/").json()["results"]
    sealed = api.get("/api/v1/audit/events/?sealed=true").json()["results"]
    pending = api.get("/api/v1/audit/events/?sealed=false").json()["results"]
    second = api.get("/api/v1/audit/events/?log_index=1").json()["results"]

    assert [e["log_index"] for e in events] == [0, 1, None]
    assert [e["log_index"] for e in sealed] == [0, 1] and [e["log_index"] for e in pending] == [None]
    assert len(second) == 1 and second[0]["id"] == LogEntry.objects.get(index=1).event_id
    assert bytes.fromhex(second[0]["leaf_hash"]) == rfc9162.leaf(base64.b64decode(second[0]["canonical"]))


@pytest.mark.django_db
def test_the_transparency_page_shows_the_key_to_pin_and_the_latest_checkpoint(kz_reporter, client):
    from audit import signing

    file_requests(kz_reporter, 2)
    checkpoint = log.log_seal()

    page = client.get("/transparency/").content.decode()

    assert signing.public_key_bytes().hex() in page
    assert bytes(checkpoint.root_hash).hex() in page
