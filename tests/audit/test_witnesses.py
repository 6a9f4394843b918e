"""Two witnesses (tools/crs_witness.py, real processes) beside the log: cosigned checkpoints, refused forks."""

from __future__ import annotations

import base64
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import transaction
from django.test import Client
from django.utils import timezone

from audit import log, signing, witnessing
from audit.models import Checkpoint, Cosignature, WitnessState
from audit.selectors import witness_statuses
from tests.audit.bulk_log import log_grown
from tests.processes import free_port, lines_of, read_until
from tests.waiting import wait_until

WITNESS = Path(__file__).resolve().parents[2] / "tools" / "crs_witness.py"
NAMES = ("witness.ngo.example", "witness.university.example")


class RunningWitness:
    def __init__(self, tmp_path: Path, name: str, log_vkey: str):
        key_file = tmp_path / f"{name}.key"
        self.vkey = subprocess.run([sys.executable, str(WITNESS), "keygen", "--name", name, "--key-file",
                                    str(key_file)], capture_output=True, text=True, check=True).stdout.strip()
        self.name, self.port, self.state = name, free_port(), tmp_path / f"{name}.json"
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(WITNESS), "serve", "--name", name, "--key-file", str(key_file), "--state",
             str(self.state), "--log", log_vkey, "--listen", f"127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        read_until(lines_of(self.process), "listening on", timeout=20)
        self.url = f"http://127.0.0.1:{self.port}"

    def post(self, body: bytes) -> tuple[int, str, str]:
        request = urllib.request.Request(f"{self.url}/add-checkpoint", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers["Content-Type"], response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Type"], error.read().decode()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def witnesses(tmp_path, settings):
    running = [RunningWitness(tmp_path, name, signing.log_vkey()) for name in NAMES]
    settings.CRS_LOG_WITNESSES = [{"name": w.name, "vkey": w.vkey, "url": w.url} for w in running]
    settings.CRS_LOG_WITNESS_QUORUM = 2
    yield running
    for witness in running:
        if witness.process.poll() is None:
            witness.stop()


def cosignatures_verified(note: bytes, witnesses) -> set[str]:
    """The witnesses whose cosignature line in the note verifies under their own vkey (checked here, not by the log)."""
    text = note.partition(b"\n\n")[0] + b"\n"
    verified = set()
    for line in note.decode().split("\n\n", 1)[1].splitlines():
        name, encoded = line.removeprefix("\u2014 ").split()
        raw = base64.b64decode(encoded)
        for witness in witnesses:
            key = signing.vkey_parse(vkey=witness.vkey)
            if name == witness.name and raw[:4] == key.key_id:
                timestamp = int.from_bytes(raw[4:12], "big")
                message = f"cosignature/v1\ntime {timestamp}\n".encode() + text
                Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[12:], message)
                verified.add(name)
    return verified


def forged_note(*, size: int, root: bytes) -> bytes:
    """A checkpoint the log's own key signs, as a log showing someone another history would."""
    text = signing.checkpoint_body(origin=signing.settings.CRS_LOG_ORIGIN, tree_size=size, root_hash=root,
                                   timestamp=timezone.now())
    key_id = signing.note_key_id(name=signing.settings.CRS_LOG_ORIGIN, public_key=signing.public_key_bytes())
    line = signing.signature_line(name=signing.settings.CRS_LOG_ORIGIN, key_id=key_id, signature=signing.sign(text))
    return text + b"\n" + line.encode()


@pytest.mark.django_db(transaction=True)
def test_witnesses_cosign_each_checkpoint_and_refuse_a_forked_log(witnesses, celery_worker):
    # given: the log grows twice; each seal queues one submission per witness after it commits
    with transaction.atomic():
        first = log_grown(5)
    wait_until(lambda: Cosignature.objects.filter(checkpoint=first).count() == 2, timeout=60,
               message="both witnesses to cosign the first checkpoint")
    with transaction.atomic():
        second = log_grown(7)
    wait_until(lambda: Cosignature.objects.filter(checkpoint=second).count() == 2, timeout=60,
               message="both witnesses to cosign the second checkpoint (with a consistency proof from 5)")

    # then: the served checkpoint carries both cosignatures, each verifying under its witness's key
    note = Client().get("/log/checkpoint").content
    assert cosignatures_verified(note, witnesses) == set(NAMES)
    assert [(s.name, s.cosigned_size, s.last_error) for s in witness_statuses()] == [(n, 12, "") for n in NAMES]

    # when: the log shows someone a fork: the same size with another root, then a smaller tree
    other_root = bytes(32 * [7])
    for witness in witnesses:
        same_size = witness.post(b"old 12\n\n" + forged_note(size=12, root=other_root))
        smaller_from_their_size = witness.post(b"old 12\n\n" + forged_note(size=9, root=other_root))
        smaller_from_its_size = witness.post(b"old 9\n\n" + forged_note(size=9, root=other_root))
        unsigned = witness.post(b"old 12\n\n" + forged_note(size=13, root=other_root).replace(b"\n\n", b"\n\nX"))

        # then: refused with the spec's status codes, and the witness still holds the true size
        assert same_size[0] == 422, same_size
        assert smaller_from_their_size[0] == 400, smaller_from_their_size
        assert smaller_from_its_size[:2] == (409, "text/x.tlog.size") and smaller_from_its_size[2] == "12\n"
        assert unsigned[0] == 400
        assert '"size": 12' in witness.state.read_text()


@pytest.mark.django_db(transaction=True)
def test_a_witness_that_is_down_delays_only_its_own_cosignature(witnesses):
    # given
    witnesses[1].stop()
    checkpoint = log_grown(4)

    # when
    witnessing.checkpoint_witness(name=NAMES[0])
    with pytest.raises(witnessing.WitnessUnavailable, match="unreachable"):
        witnessing.checkpoint_witness(name=NAMES[1])

    # then
    assert list(Cosignature.objects.values_list("witness", flat=True)) == [NAMES[0]]
    statuses = {s.name: s for s in witness_statuses()}
    assert statuses[NAMES[0]].cosigned_size == checkpoint.tree_size
    assert statuses[NAMES[1]].cosigned_size == 0 and "unreachable" in statuses[NAMES[1]].last_error
    assert witnessing.witnesses_behind() == [NAMES[1]]
    # a quorum of 2 is not met: no checkpoint is cited by receipts yet
    assert witnessing.checkpoint_quorate() is None


@pytest.mark.django_db(transaction=True)
def test_a_witness_that_missed_checkpoints_is_resent_from_its_own_size_after_409(witnesses):
    # given: the witness cosigned size 3, but the log believes it holds nothing (its state was lost)
    log_grown(3)
    witnessing.checkpoint_witness(name=NAMES[0])
    WitnessState.objects.filter(name=NAMES[0]).update(witness_size=0)
    latest = log_grown(6)

    # when
    cosignature = witnessing.checkpoint_witness(name=NAMES[0])

    # then: the 409 told the log size 3, and the retry proved consistency from it
    assert cosignature.checkpoint_id == latest.tree_size
    assert WitnessState.objects.get(name=NAMES[0]).witness_size == latest.tree_size
    assert Checkpoint.objects.count() == 2 and log.tree_size() == 9
