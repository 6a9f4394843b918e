"""The log as C2SP tiles and signed notes, served under /log/."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client
from rest_framework.test import APIClient

from audit import log, merkle, signing, tiles
from audit.models import LogEntry
from tests.audit import rfc9162
from tests.audit.bulk_log import log_grown

pytestmark = pytest.mark.django_db

# The C2SP signed-note known answer.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_TEXT = b"This is an example message.\n"
SPEC_SIGNATURE = ("Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=")


def canonical(index: int) -> bytes:
    return bytes(LogEntry.objects.select_related("event").get(index=index).event.canonical)


def test_the_spec_known_answer_verifies_under_our_vkey_parser():
    key = signing.vkey_parse(vkey=SPEC_VKEY)
    raw = base64.b64decode(SPEC_SIGNATURE)

    assert (key.name, key.key_type, key.key_id) == ("example.com/foo", 1, bytes.fromhex("530d903a"))
    assert raw[:4] == key.key_id
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[4:], SPEC_TEXT)
    assert signing.note_vkey(name=key.name, public_key=key.public_key) == SPEC_VKEY


@pytest.mark.parametrize("vkey, problem", [
    ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
    ("example.com/foo+530d903a", "is not a verifier key"),
    ("example.com/foo+530d903a+AQ==", "Ed25519 key"),
])
def test_a_bad_vkey_is_refused_with_what_is_wrong(vkey, problem):
    with pytest.raises(ValueError, match=problem):
        signing.vkey_parse(vkey=vkey)


def test_tile_indexes_are_written_in_groups_of_three():
    assert [tiles.tile_index_path(n) for n in (5, 1000, 1234067)] == ["005", "x001/000", "x001/x234/067"]
    assert tiles.tile_address_parse(path="x001/x234/067.p/17") == tiles.TileAddress(index=1234067, width=17)
    for bad in ("5", "x001/x234/67", "000.p/0", "000.p/256", "000.p/017", "x000/005"):
        with pytest.raises(tiles.TileError):
            tiles.tile_address_parse(path=bad)


def test_the_checkpoint_is_a_signed_note_under_the_origin(kz_reporter, settings):
    # given
    checkpoint = log_grown(3)
    vkey = Client().get("/log/vkey").content.decode().strip()

    # when
    response = Client().get("/log/checkpoint")

    # then
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=5"
    text, _, signatures = response.content.partition(b"\n\n")
    text += b"\n"
    origin, size, root, moment = text.decode().splitlines()
    assert (origin, int(size), base64.b64decode(root)) == (settings.CRS_LOG_ORIGIN, 3, bytes(checkpoint.root_hash))
    assert moment.endswith("Z")
    key = signing.vkey_parse(vkey=vkey)
    assert key.name == settings.CRS_LOG_ORIGIN
    name, encoded = signatures.decode().removeprefix("\u2014 ").split()
    raw = base64.b64decode(encoded)
    assert name == origin and raw[:4] == key.key_id
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[4:], text)


def test_hash_tiles_hold_the_sealed_tree_full_and_partial():
    # given a tree of 600 leaves: tiles 0/000, 0/001 full, 0/002.p/88, and 1/000.p/2
    log_grown(600)
    leaves = [merkle.leaf_hash(canonical(i)) for i in range(600)]
    client = Client()

    # then
    assert client.get("/log/tile/0/000").content == b"".join(leaves[:256])
    assert client.get("/log/tile/0/002.p/88").content == b"".join(leaves[512:600])
    assert client.get("/log/tile/0/002.p/10").content == b"".join(leaves[512:522])
    level_one = client.get("/log/tile/1/000.p/2").content
    assert level_one == b"".join(rfc9162.mth([canonical(i) for i in range(s, s + 256)]) for s in (0, 256))
    for missing in ("/log/tile/0/002", "/log/tile/0/002.p/89", "/log/tile/1/000", "/log/tile/2/000.p/1",
                    "/log/tile/0/002.p/088"):
        assert client.get(missing).status_code == 404, missing


def test_tiles_are_immutable_with_etags_and_read_in_one_query(django_assert_max_num_queries):
    log_grown(300)
    client = Client()
    with django_assert_max_num_queries(2):
        first = client.get("/log/tile/0/001.p/44")
    assert first["Cache-Control"] == "public, max-age=31536000, immutable"
    assert first["ETag"] == f'"{hashlib.sha256(first.content).hexdigest()[:32]}"'

    again = client.get("/log/tile/0/001.p/44", headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_a_full_tile_is_served_from_the_cache_once_read(django_assert_num_queries):
    log_grown(256)
    client = Client()
    body = client.get("/log/tile/0/000").content

    with django_assert_num_queries(0):
        cached = client.get("/log/tile/0/000")

    assert cached.content == body


def test_entry_bundles_are_the_events_bytes_for_installation_auditors(auditor, client_for):
    log_grown(260)

    anonymous = APIClient().get("/log/tile/entries/001.p/4")
    response = client_for(auditor).get("/log/tile/entries/001.p/4")

    assert anonymous.status_code in (401, 403)
    assert anonymous.json()["code"] in ("not_authenticated", "permission_denied")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")
    bundle, entries = response.content, []
    while bundle:
        (length,) = struct.unpack(">H", bundle[:2])
        entries.append(bundle[2:2 + length])
        bundle = bundle[2 + length:]
    assert entries == [canonical(i) for i in range(256, 260)]


def test_a_reporter_reads_no_entry_bundle(kz_reporter, client_for):
    log_grown(3)

    response = client_for(kz_reporter.user).get("/log/tile/entries/000.p/3")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_checkpoints_keep_verifying_under_their_own_origin_after_a_rename(settings):
    # given a checkpoint signed under the earlier origin
    settings.CRS_LOG_ORIGIN = "crs-simulator/transparency-log"
    earlier = log_grown(2)
    # when the log is renamed and grows
    settings.CRS_LOG_ORIGIN = "crs.example.org/log"
    later = log_grown(2)

    # then each note names, and is signed under, its own origin, and the whole log still verifies
    assert log.checkpoint_text(earlier).startswith(b"crs-simulator/transparency-log\n")
    assert log.checkpoint_text(later).startswith(b"crs.example.org/log\n")
    assert log.log_verify().ok
