"""Merkle tree hashing and proofs as in Certificate Transparency (RFC 9162, section 2.1).

    leaf hash  = SHA-256(0x00 || leaf bytes)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = H(MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two < n

The functions here are pure: they read subtree hashes through ``subtree(start, end)``,
a callable that returns MTH(D[start:end]). The log (audit/log.py) answers it from
the stored complete subtrees, so a proof reads O(log² n) hashes and never re-hashes
the whole log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

Subtree = Callable[[int, int], bytes]
HASH_SIZE = 32  # bytes, SHA-256


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(size: int) -> list[tuple[int, int]]:
    """The complete subtrees a tree of ``size`` leaves decomposes into, left to right, as (level, index)."""
    parts = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size & (1 << level):
            parts.append((level, start >> level))
            start += 1 << level
    return parts


def root_from_perfect(hashes: list[bytes]) -> bytes:
    """MTH of a tree from the hashes of its perfect subtrees (left to right)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def inclusion_path(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 section 2.1.3.1, for leaf ``index`` in a tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if m < k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start, m = start + k, m - k
    path.reverse()  # RFC order: from the leaf's sibling up to the root's child
    return path


def consistency_path(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1, between tree sizes ``first`` <= ``second``."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first == second:
        return []
    proof: list[bytes] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        n = end - start
        k = largest_power_of_two_below(n)
        if m <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append(subtree(start, end))
    proof.reverse()
    return proof


# --- Verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) ---------------------------------

def inclusion_verify(*, leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows that ``leaf`` is leaf ``index`` of the tree of ``size`` leaves with ``root``."""
    if not 0 <= index < size or any(len(h) != HASH_SIZE for h in (leaf, root, *proof)):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistency_verify(*, first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: list[bytes]) -> bool:
    """Whether ``proof`` shows the tree of ``second`` leaves extends the tree of ``first`` leaves.

    A proof from the empty tree is refused (as RFC 9162 and the transparency-dev vectors do):
    every tree extends it, so there is nothing to prove; callers that accept size 0 say so.
    """
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof or any(len(h) != HASH_SIZE for h in (first_root, second_root, *proof)):
        return False
    if first & (first - 1) == 0:
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
