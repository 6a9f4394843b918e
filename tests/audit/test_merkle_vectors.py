"""The Merkle code against transparency-dev/merkle's golden vectors (tests/audit/merkle_testdata, Apache-2.0).

Every vector is checked: the happy paths must verify, every altered proof, root, size or
index must be refused. Where a vector's tree is the 8-leaf tree of the C2SP known answer,
the proof this log would serve is compared with the vector's too.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from audit import merkle

VECTORS = Path(__file__).resolve().parent / "merkle_testdata"
# The leaf inputs of transparency-dev's reference tree; its size-8 root is the C2SP known answer.
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOT_8 = base64.b64decode("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")


def _vectors(kind: str) -> list:
    files = sorted((VECTORS / kind).rglob("*.json"))
    return [pytest.param(json.loads(f.read_text()), id=str(f.relative_to(VECTORS / kind))) for f in files]


def _b64(value) -> bytes:
    return base64.b64decode(value) if value else b""


def _reference_subtree(start: int, end: int) -> bytes:
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES[start:end]]
    while len(hashes) > 1:
        k = merkle.largest_power_of_two_below(len(hashes))
        left = _fold(hashes[:k])
        return merkle.node_hash(left, _fold(hashes[k:]))
    return hashes[0]


def _fold(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = merkle.largest_power_of_two_below(len(hashes))
    return merkle.node_hash(_fold(hashes[:k]), _fold(hashes[k:]))


def test_the_vectors_are_all_there_with_their_notice():
    assert len(list(VECTORS.rglob("*.json"))) == 196
    assert "Apache License, Version 2.0" in (VECTORS / "NOTICE").read_text()


def test_the_reference_tree_has_the_known_root():
    assert _reference_subtree(0, 8) == ROOT_8


@pytest.mark.parametrize("vector", _vectors("inclusion"))
def test_inclusion_vector(vector):
    proof = [_b64(h) for h in vector["proof"] or []]

    verified = merkle.inclusion_verify(leaf=_b64(vector["leafHash"]), index=vector["leafIdx"],
                                       size=vector["treeSize"], proof=proof, root=_b64(vector["root"]))

    assert verified is not vector["wantErr"]
    if not vector["wantErr"] and _b64(vector["root"]) == _reference_subtree(0, vector["treeSize"]):
        assert merkle.inclusion_path(vector["leafIdx"], vector["treeSize"], _reference_subtree) == proof


@pytest.mark.parametrize("vector", _vectors("consistency"))
def test_consistency_vector(vector):
    proof = [_b64(h) for h in vector["proof"] or []]

    verified = merkle.consistency_verify(first=vector["size1"], second=vector["size2"],
                                         first_root=_b64(vector["root1"]), second_root=_b64(vector["root2"]),
                                         proof=proof)

    assert verified is not vector["wantErr"]
    if not vector["wantErr"] and vector["size2"] <= 8 and _b64(vector["root2"]) == _reference_subtree(
            0, vector["size2"]):
        assert merkle.consistency_path(vector["size1"], vector["size2"], _reference_subtree) == proof
