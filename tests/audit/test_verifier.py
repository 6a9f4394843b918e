"""The stand-alone verifier, run as an auditor would: a separate program against the live site."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from audit import log, merkle, signing
from audit.models import Checkpoint, LogEntry, TreeNode
from tests.audit.test_log import file_requests

pytestmark = pytest.mark.django_db(transaction=True)
VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "crs_verify.py"


@pytest.fixture
def sealed_log(kz_reporter):
    file_requests(kz_reporter, 3)
    log.log_seal()
    file_requests(kz_reporter, 4)
    return log.log_seal()


def verify(live_server, state: Path, *args: str, key: str | None = None, token: str | None = None):
    command = [sys.executable, str(VERIFIER), "--url", live_server.url, "--state", str(state),
               "--public-key", key or signing.public_key_bytes().hex(), *args]
    if token:
        command += ["--token", token]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def auditor_token(auditor) -> str:
    return Token.objects.get_or_create(user=auditor)[0].key


def behind_the_servers_back(sql: str, params: list, table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def test_a_sound_log_verifies_and_its_checkpoint_is_pinned(live_server, sealed_log, auditor, tmp_path):
    state = tmp_path / "state.json"

    result = verify(live_server, state, "--event", "0", "--event", "6", "--all-events", token=auditor_token(auditor))

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK   checkpoint: {sealed_log.tree_size} events" in result.stdout
    assert "OK   event 6: included, and its bytes match the sealed leaf" in result.stdout
    assert f"OK   all {sealed_log.tree_size} events re-hashed: they build the signed root" in result.stdout
    assert json.loads(state.read_text()) == {"tree_size": sealed_log.tree_size,
                                             "root_hash": bytes(sealed_log.root_hash).hex()}


def test_a_later_run_checks_that_the_log_only_grew(live_server, sealed_log, kz_reporter, tmp_path):
    state = tmp_path / "state.json"
    assert verify(live_server, state).returncode == 0
    file_requests(kz_reporter, 5)
    grown = log.log_seal()

    result = verify(live_server, state)

    assert result.returncode == 0, result.stdout
    assert f"OK   consistent with the checkpoint you verified before (size {sealed_log.tree_size})" in result.stdout
    assert json.loads(state.read_text())["tree_size"] == grown.tree_size


def test_an_event_rewritten_after_sealing_is_named(live_server, sealed_log, auditor, tmp_path):
    victim = LogEntry.objects.select_related("event").get(index=2).event
    forged = bytes(victim.canonical).replace(b'"type":"', b'"type":"forged_')
    behind_the_servers_back("UPDATE audit_auditevent SET canonical = %s WHERE id = %s", [forged, victim.pk],
                            "audit_auditevent")

    named = verify(live_server, tmp_path / "a.json", "--event", "2", token=auditor_token(auditor))
    swept = verify(live_server, tmp_path / "b.json", "--all-events", token=auditor_token(auditor))

    for result in (named, swept):
        assert result.returncode == 1, result.stdout
        assert f"FAIL event at log index 2 (event {victim.pk}): its canonical bytes do not hash to the leaf the log " \
               "sealed" in result.stdout
    assert not (tmp_path / "a.json").exists(), "a failed run pins nothing"


@pytest.mark.parametrize("grows_after", [False, True])
def test_a_rewritten_and_re_signed_log_fails_against_the_pinned_earlier_checkpoint(live_server, sealed_log,
                                                                                   kz_reporter, tmp_path,
                                                                                   grows_after):
    state = tmp_path / "state.json"
    assert verify(live_server, state).returncode == 0

    # An attacker holding the database and the signing key rewrites event 1, then rebuilds the tree
    # and signs a fresh checkpoint over it, so that every proof the server gives is self-consistent.
    victim = LogEntry.objects.select_related("event").get(index=1)
    forged = bytes(victim.event.canonical).replace(b'"type":"', b'"type":"forged_')
    behind_the_servers_back("UPDATE audit_auditevent SET canonical = %s WHERE id = %s", [forged, victim.event_id],
                            "audit_auditevent")
    behind_the_servers_back('UPDATE audit_logentry SET leaf_hash = %s WHERE "index" = 1', [merkle.leaf_hash(forged)],
                            "audit_logentry")
    behind_the_servers_back("DELETE FROM audit_treenode", [], "audit_treenode")
    behind_the_servers_back("DELETE FROM audit_checkpoint", [], "audit_checkpoint")
    leaves = [bytes(h) for h in LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)]
    completed: list = []
    stack = log._extend([], 0, leaves, completed)
    TreeNode.objects.bulk_create(TreeNode(level=level, index=index, hash=value) for level, index, value in completed)
    rewritten = log._sign_checkpoint(len(leaves), merkle.root_from_perfect([h for _, _, h in stack]))
    assert Checkpoint.objects.count() == 1 and rewritten.tree_size == sealed_log.tree_size
    if grows_after:
        file_requests(kz_reporter, 3)
        log.log_seal()

    result = verify(live_server, state)

    assert result.returncode == 1, result.stdout
    if grows_after:
        assert f"does not extend the log you checked at size {sealed_log.tree_size}" in result.stdout
    else:
        assert f"FAIL the log at size {sealed_log.tree_size} now has a different root than when last checked" \
            in result.stdout


def test_a_checkpoint_signed_by_another_key_is_refused(live_server, sealed_log, tmp_path):
    result = verify(live_server, tmp_path / "s.json", key="ab" * 32)

    assert result.returncode == 1
    assert "FAIL the latest checkpoint is signed with key" in result.stdout


def test_it_says_plainly_when_it_cannot_run(tmp_path):
    result = subprocess.run([sys.executable, str(VERIFIER), "--url", "http://127.0.0.1:9", "--public-key", "ab" * 32,
                             "--state", str(tmp_path / "s.json")], capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "error: GET http://127.0.0.1:9/api/v1/audit/checkpoints/latest/ failed" in result.stderr
