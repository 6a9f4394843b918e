"""The server's Merkle code against the literal definitions and an independent RFC 9162 verifier."""

from __future__ import annotations

import pytest

from audit import merkle
from tests.audit import rfc9162

ENTRIES = [f"event {i}".encode() for i in range(40)]


def subtree_over(entries):
    return lambda start, end: rfc9162.mth(entries[start:end])


@pytest.mark.parametrize("size", range(1, 41))
def test_root_from_perfect_subtrees_equals_the_literal_mth(size):
    entries = ENTRIES[:size]
    parts = [rfc9162.mth(entries[i << level:(i + 1) << level]) for level, i in merkle.perfect_subtrees(size)]

    assert merkle.root_from_perfect(parts) == rfc9162.mth(entries)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 31, 40])
def test_every_inclusion_path_verifies(size):
    entries = ENTRIES[:size]
    root = rfc9162.mth(entries)
    for index in range(size):
        path = merkle.inclusion_path(index, size, subtree_over(entries))
        assert rfc9162.verify_inclusion(rfc9162.leaf(entries[index]), index, size, path, root), index


@pytest.mark.parametrize("first, second", [(1, 1), (1, 2), (2, 3), (3, 7), (4, 8), (6, 8), (7, 40), (16, 33),
                                           (31, 32)])
def test_consistency_paths_verify(first, second):
    path = merkle.consistency_path(first, second, subtree_over(ENTRIES[:second]))

    assert rfc9162.verify_consistency(first, second, rfc9162.mth(ENTRIES[:first]), rfc9162.mth(ENTRIES[:second]),
                                      path)


def test_a_path_for_the_wrong_leaf_fails():
    root = rfc9162.mth(ENTRIES[:9])
    path = merkle.inclusion_path(4, 9, subtree_over(ENTRIES[:9]))

    assert not rfc9162.verify_inclusion(rfc9162.leaf(ENTRIES[5]), 4, 9, path, root)
    assert not rfc9162.verify_inclusion(rfc9162.leaf(ENTRIES[4]), 5, 9, path, root)
