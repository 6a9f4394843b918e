"""The log as tiles (c2sp.org/tlog-tiles v0.1.0): its hashes and entries in fixed, cacheable files.

A hash tile at level L holds up to 256 hashes of level 8·L of the Merkle tree: level 0 the
leaf hashes (LogEntry), level L ≥ 1 the stored complete subtrees (TreeNode, level 8·L).
Every hash is read as stored when it was sealed, never re-hashed from the events. A tile
N of width W exists once the tree has N·256^(L+1) + W·256^L leaves; its bytes never change
after that, whatever width is asked (a partial tile is a prefix of the full one).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from audit.models import LogEntry, TreeNode

TILE_HEIGHT = 8  # tlog-tiles fixes tiles at 2^8 = 256 hashes
TILE_WIDTH = 1 << TILE_HEIGHT
HASH_SIZE = 32  # bytes, SHA-256
ENTRY_MAX = 0xFFFF  # bytes: an entry bundle prefixes each entry with a big-endian uint16 length

# N in three-digit groups, all but the last prefixed with "x" (tlog-tiles "Tile index").
_INDEX = r"(?:x[0-9]{3}/)*[0-9]{3}"
_TILE_PATH = re.compile(rf"^(?P<index>{_INDEX})(?:\.p/(?P<width>[0-9]{{1,3}}))?$")


class TileError(ValueError):
    """A tile that does not exist (yet) or a path that names no tile."""


@dataclass(frozen=True)
class TileAddress:
    index: int
    width: int  # 256 for a full tile

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH


def tile_index_path(index: int) -> str:
    """N as tlog-tiles writes it: 5 → 005, 1000 → x001/000, 1234067 → x001/x234/067."""
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if not index:
            break
    groups.reverse()
    return "/".join([f"x{g}" for g in groups[:-1]] + groups[-1:])


def tile_address_parse(*, path: str) -> TileAddress:
    """``<N>`` or ``<N>.p/<W>`` from a request path; TileError for anything else (leading zeros included)."""
    match = _TILE_PATH.match(path)
    if not match:
        raise TileError(f"{path!r} is not a tile index such as 005, x001/234 or 005.p/17")
    digits = match["index"].replace("x", "").replace("/", "")
    index = int(digits)
    if tile_index_path(index) != match["index"]:
        raise TileError(f"{path!r}: write the tile index as {tile_index_path(index)}")
    width = TILE_WIDTH
    if match["width"] is not None:
        width = int(match["width"])
        if not 1 <= width < TILE_WIDTH or str(width) != match["width"]:
            raise TileError(f"{path!r}: a partial tile has 1 to 255 hashes, written without leading zeros")
    return TileAddress(index=index, width=width)


def _covered(*, level: int, address: TileAddress, tree_size: int) -> None:
    leaves_per_hash = 1 << (TILE_HEIGHT * level)
    needed = (address.index * TILE_WIDTH + address.width) * leaves_per_hash
    if needed > tree_size:
        raise TileError(f"the log's tree of {tree_size} leaves has no tile {level}/{tile_index_path(address.index)}"
                        f"{'' if address.full else f'.p/{address.width}'}")


def tile_hashes(*, level: int, address: TileAddress, tree_size: int) -> bytes:
    """The tile's hashes, concatenated (32 bytes each), for a tree of ``tree_size`` leaves (a checkpointed size)."""
    if not 0 <= level <= 63 // TILE_HEIGHT:
        raise TileError(f"there is no tile level {level}")
    _covered(level=level, address=address, tree_size=tree_size)
    first = address.index * TILE_WIDTH
    last = first + address.width
    if level == 0:
        rows = LogEntry.objects.filter(index__gte=first, index__lt=last).order_by("index")
    else:
        rows = TreeNode.objects.filter(level=level * TILE_HEIGHT, index__gte=first, index__lt=last).order_by("index")
    hashes = [bytes(value) for value in rows.values_list("leaf_hash" if level == 0 else "hash", flat=True)]
    if len(hashes) != address.width:
        # The sequencer stores every completed subtree with its checkpoint; a gap means the store is damaged.
        raise LookupError(f"the stored tree lacks hashes of tile {level}/{tile_index_path(address.index)}")
    return b"".join(hashes)


def entry_bundle(*, address: TileAddress, tree_size: int) -> bytes:
    """The entries of the leaves of tile N (each the event's canonical bytes, with a uint16 length before it)."""
    _covered(level=0, address=address, tree_size=tree_size)
    first = address.index * TILE_WIDTH
    entries = list(LogEntry.objects.filter(index__gte=first, index__lt=first + address.width)
                   .order_by("index").values_list("event__canonical", flat=True))
    if len(entries) != address.width:
        raise LookupError(f"the log lacks entries of bundle {tile_index_path(address.index)}")
    bundle = bytearray()
    for entry in entries:
        data = bytes(entry)
        if len(data) > ENTRY_MAX:
            raise LookupError(f"an entry of bundle {tile_index_path(address.index)} is longer than {ENTRY_MAX} bytes")
        bundle += struct.pack(">H", len(data)) + data
    return bytes(bundle)
