"""Go's golang.org/x/mod/sumdb/note and sumdb/tlog (code this project did not write) verify the served log.

The tree is larger than 65,536 events so that level-2 tiles exist; its events are written
straight into the table (tests/audit/bulk_log.py) and sealed by the real sequencer, and
everything Go reads comes through the real views of a live server.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from audit import signing
from tests.audit.bulk_log import log_grown

CHECKER = Path(__file__).resolve().parent / "tlogcheck.go"
GO = shutil.which("go") or "/usr/lib/go-1.19/bin/go"
GOPATH_XMOD = "/usr/share/gocode"  # Debian's golang-golang-x-mod-dev

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def tlogcheck(tmp_path_factory) -> Path:
    if not Path(GO).exists() or not Path(GOPATH_XMOD, "src/golang.org/x/mod/sumdb/tlog").exists():
        if os.environ.get("CRS_REQUIRE_SERVICES") == "1":
            pytest.fail("Go 1.19 and golang-golang-x-mod-dev are required in CI (.ci/run installs them)")
        pytest.skip("Go or golang.org/x/mod is not installed (apt-get install golang-1.19-go golang-golang-x-mod-dev)")
    folder = tmp_path_factory.mktemp("go")
    binary = folder / "tlogcheck"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": f"{folder / 'gopath'}:{GOPATH_XMOD}",
           "GOCACHE": str(folder / "cache"), "GOFLAGS": ""}
    subprocess.run([GO, "build", "-o", str(binary), str(CHECKER)], check=True, env=env, cwd=CHECKER.parent,
                   timeout=300)
    return binary


def test_go_verifies_checkpoint_tiles_inclusion_and_consistency_past_level_two(tlogcheck, live_server, auditor,
                                                                                  tmp_path):
    # given: a checkpoint at 66,000 events, kept as a party would keep it, then the log grows to 70,100
    log_grown(66_000)
    old = tmp_path / "old-checkpoint"
    old.write_bytes(Client().get("/log/checkpoint").content)
    latest = log_grown(4_100)
    assert latest.tree_size == 70_100
    token = Token.objects.get_or_create(user=auditor)[0].key
    picks = random.Random(latest.tree_size)
    records = sorted({0, 255, 256, 65_535, 65_536, 69_999, 70_099, *picks.sample(range(70_100), 5)})

    # when
    result = subprocess.run([str(tlogcheck), "-url", f"{live_server.url}/log", "-vkey", signing.log_vkey(),
                             "-old", str(old), "-token", token, *map(str, records)],
                            capture_output=True, text=True, timeout=300)

    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK   checkpoint" in result.stdout and "size 70100: signature verified" in result.stdout
    assert "OK   the tiles hash to the signed root" in result.stdout
    for index in records:
        assert f"OK   record {index}: its entry is in the tree (CheckRecord)" in result.stdout
    assert "OK   size 70100 extends size 66000 (CheckTree)" in result.stdout
    assert "OK   tile levels read: [0 1 2]" in result.stdout


def test_go_refuses_the_checkpoint_under_another_key(tlogcheck, live_server):
    log_grown(3)
    stranger = signing.note_vkey(name=signing.settings.CRS_LOG_ORIGIN, public_key=bytes(range(32)))

    result = subprocess.run([str(tlogcheck), "-url", f"{live_server.url}/log", "-vkey", stranger],
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    assert "FAIL checkpoint: unknown key" in result.stdout or "FAIL checkpoint:" in result.stdout
