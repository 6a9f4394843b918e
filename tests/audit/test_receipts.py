"""Receipts (c2sp.org/tlog-proof@v1): downloaded by the requester, checked offline by the stand-alone verifier."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from audit import log, signing, witnessing
from tests.audit.test_log import file_requests
from tests.audit.test_witnesses import NAMES, witnesses  # noqa: F401 (the fixture)

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "crs_verify.py"


def verify_receipt(path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(VERIFIER), "--receipt", str(path), "--vkey", signing.log_vkey(),
                           *extra], capture_output=True, text=True, timeout=60)


@pytest.mark.django_db(transaction=True)
def test_the_requester_downloads_a_witnessed_receipt_that_verifies_offline(kz_reporter, client_for, witnesses,  # noqa: F811
                                                                          tmp_path):
    # given: a filed request, sealed, but not yet cosigned by the two witnesses the quorum asks for
    file_requests(kz_reporter, 1)
    log.log_seal()
    client = client_for(kz_reporter.user)
    reference = client.get("/api/v1/requests/").json()["results"][0]["reference"]
    listed = client.get(f"/api/v1/requests/{reference}/receipts/").json()
    assert [r["type"] for r in listed] == ["request_submitted"]
    assert client.get(listed[0]["url"]).status_code == 404

    # when: both witnesses cosign
    for name in NAMES:
        witnessing.checkpoint_witness(name=name)
    response = client.get(listed[0]["url"])

    # then
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.tlog-proof"')
    receipt = tmp_path / "r.tlog-proof"
    receipt.write_bytes(response.content)
    pinned = [arg for w in witnesses for arg in ("--witness", w.vkey)]
    ok = verify_receipt(receipt, *pinned, "--quorum", "2")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"event request_submitted of {reference}" in ok.stdout and "(2 witness cosignature(s))" in ok.stdout
    # the portal's download is the same receipt
    event_id = listed[0]["event"]
    assert client.get(f"/portal/requests/{reference}/receipts/{event_id}.tlog-proof").content == response.content

    # a receipt whose event was altered, or checked against a quorum it lacks, fails
    tampered = tmp_path / "t.tlog-proof"
    tampered.write_bytes(response.content.replace(b"extra eyJ", b"extra eyK", 1))
    assert verify_receipt(tampered).returncode in (1, 2)
    assert verify_receipt(receipt, *pinned[:2], "--quorum", "2").returncode == 1


@pytest.mark.django_db
def test_another_agencys_receipt_is_missing(kz_reporter, kz_prosecutor, client_for):
    file_requests(kz_reporter, 1)
    log.log_seal()
    reference = client_for(kz_reporter.user).get("/api/v1/requests/").json()["results"][0]["reference"]

    response = client_for(kz_prosecutor.user).get(f"/api/v1/requests/{reference}/receipts/")

    assert response.status_code == 404
