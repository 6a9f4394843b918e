"""The stand-alone verifier, run as an auditor would: a separate program against the live site.

It reads only what the C2SP formats serve (/log/checkpoint, hash tiles, entry bundles), so
each failure below is one an outside auditor would see with nothing but the pinned keys.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import connection
from rest_framework.authtoken.models import Token

from audit import log, merkle, signing
from audit.models import Checkpoint, Cosignature, LogEntry, TreeNode
from tests.audit.bulk_log import log_grown
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
    pinned = ["--vkey", signing.log_vkey()] if "--vkey" not in args and key is None else []
    if key:
        pinned = ["--public-key", key]
    command = [sys.executable, str(VERIFIER), "--url", live_server.url, "--state", str(state), *pinned, *args]
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
        assert f"FAIL event at log index 2 (event {victim.uid} (forged_{victim.event_type})): its canonical bytes " \
               "do not hash to the leaf the log sealed" in result.stdout
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
    assert "error: GET http://127.0.0.1:9/log/checkpoint failed" in result.stderr


def test_the_public_key_alone_still_verifies_as_before(live_server, sealed_log, auditor, tmp_path):
    # The invocation auditors' scripts already use: --public-key (hex), no origin, no vkey.
    result = verify(live_server, tmp_path / "s.json", "--all-events", key=signing.public_key_bytes().hex(),
                    token=auditor_token(auditor))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "signature valid" in result.stdout
    pinned_origin = verify(live_server, tmp_path / "t.json", "--origin", "another.example/log",
                           key=signing.public_key_bytes().hex())
    assert pinned_origin.returncode == 1
    assert "FAIL the latest checkpoint is signed with key" in pinned_origin.stdout


def test_a_tampered_hash_tile_fails(live_server, sealed_log, tmp_path):
    state = tmp_path / "state.json"
    assert verify(live_server, state, "--event", "5").returncode == 0
    # The server now serves a leaf tile with one hash changed (the checkpoint, signed earlier, is untouched).
    behind_the_servers_back('UPDATE audit_logentry SET leaf_hash = %s WHERE "index" = 5', [b"\x07" * 32],
                            "audit_logentry")

    result = verify(live_server, state, "--event", "5")

    assert result.returncode == 1, result.stdout
    assert f"FAIL the log's hash tiles do not build the signed root of size {sealed_log.tree_size}" in result.stdout
    assert json.loads(state.read_text())["tree_size"] == sealed_log.tree_size, "the pinned state is kept"


def test_a_forked_checkpoint_of_the_same_size_fails_against_the_one_pinned(live_server, sealed_log, tmp_path):
    # A split view: the auditor was shown (and pinned) another tree of this size than the one served now.
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"tree_size": sealed_log.tree_size, "root_hash": "ab" * 32}) + "\n")

    result = verify(live_server, state)

    assert result.returncode == 1, result.stdout
    assert f"FAIL the log at size {sealed_log.tree_size} now has a different root than when last checked" \
        in result.stdout


def test_a_smaller_pinned_checkpoint_is_checked_from_the_tiles(live_server, sealed_log, tmp_path):
    # The state of an auditor shown a forked history at size 3: no consistency proof from the tiles joins it.
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"tree_size": 3, "root_hash": merkle.leaf_hash(b"forged").hex()}) + "\n")

    result = verify(live_server, state)

    assert result.returncode == 1, result.stdout
    assert f"FAIL the log at size {sealed_log.tree_size} does not extend the log you checked at size 3" \
        in result.stdout


def witness_key(name: str) -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return key, signing.note_vkey(name=name, public_key=public, key_type=signing.COSIGNATURE_V1)


def cosign(checkpoint: Checkpoint, name: str, key: Ed25519PrivateKey, vkey: str) -> None:
    timestamp = 1_700_000_000
    message = signing.cosigned_message(timestamp=timestamp, text=log.checkpoint_text(checkpoint))
    Cosignature.objects.create(checkpoint=checkpoint, witness=name, key_id=signing.vkey_parse(vkey=vkey).key_id,
                               cosigned_at=timestamp, signature=key.sign(message))


def test_the_checkpoint_needs_a_quorum_of_pinned_witnesses(live_server, sealed_log, tmp_path):
    ngo_key, ngo = witness_key("witness.ngo.example")
    uni_key, university = witness_key("witness.university.example")
    _, stranger = witness_key("witness.stranger.example")
    cosign(sealed_log, "witness.ngo.example", ngo_key, ngo)
    pinned = ["--witness", ngo, "--witness", university]

    one_of_two = verify(live_server, tmp_path / "a.json", *pinned, "--quorum", "1")
    short = verify(live_server, tmp_path / "b.json", *pinned, "--quorum", "2")
    unpinned = verify(live_server, tmp_path / "c.json", "--witness", stranger, "--quorum", "1")
    cosign(sealed_log, "witness.university.example", uni_key, university)
    both = verify(live_server, tmp_path / "d.json", *pinned)

    assert one_of_two.returncode == 0, one_of_two.stdout + one_of_two.stderr
    assert "signature valid (log " in one_of_two.stdout and "1 of 2 pinned witnesses cosigned it" in one_of_two.stdout
    assert short.returncode == 1 and unpinned.returncode == 1, short.stdout + unpinned.stdout
    assert "FAIL the latest checkpoint has 1 cosignature(s) by pinned witnesses, 2 needed" in short.stdout
    assert "FAIL the latest checkpoint has 0 cosignature(s) by pinned witnesses, 1 needed" in unpinned.stdout
    assert not (tmp_path / "b.json").exists() and not (tmp_path / "c.json").exists(), "a failed run pins nothing"
    assert both.returncode == 0, both.stdout
    assert "2 of 2 pinned witnesses cosigned it (quorum 2)" in both.stdout


def test_a_forged_cosignature_fails(live_server, sealed_log, tmp_path):
    ngo_key, ngo = witness_key("witness.ngo.example")
    # The witness's signature over the earlier checkpoint, presented as if it were over the latest one.
    earlier = log.checkpoint_text(Checkpoint.objects.order_by("tree_size").first())
    Cosignature.objects.create(checkpoint=sealed_log, witness="witness.ngo.example",
                               key_id=signing.vkey_parse(vkey=ngo).key_id, cosigned_at=1,
                               signature=ngo_key.sign(signing.cosigned_message(timestamp=1, text=earlier)))

    result = verify(live_server, tmp_path / "s.json", "--witness", ngo)

    assert result.returncode == 1, result.stdout
    assert "FAIL the signature by witness.ngo.example on the latest checkpoint does not verify" in result.stdout


def test_full_tiles_and_bundles_carry_consistency_inclusion_and_every_event(live_server, sealed_log, auditor,
                                                                            tmp_path):
    state = tmp_path / "state.json"
    assert verify(live_server, state).returncode == 0
    grown = log_grown(600)  # two full tiles and bundles, and a partial third

    result = verify(live_server, state, "--event", "300", "--event", str(grown.tree_size - 1), "--all-events",
                    token=auditor_token(auditor))

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK   consistent with the checkpoint you verified before (size {sealed_log.tree_size})" in result.stdout
    assert "OK   event 300: included, and its bytes match the sealed leaf" in result.stdout
    assert f"OK   all {grown.tree_size} events re-hashed: they build the signed root" in result.stdout
