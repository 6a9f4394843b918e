#!/usr/bin/env python3
"""Stand-alone verifier for a CRS Simulator transparency log.

Runs on an auditor's own machine with the Python standard library and the
``cryptography`` package only, and speaks the formats every transparency log shares
(c2sp.org: signed-note checkpoints, tlog-tiles, tlog-cosignature, tlog-proof). It trusts
nothing the server says that it can check:

1. fetches the latest checkpoint (/log/checkpoint, a signed note) and checks the log's
   signature against the key you pinned (--vkey, or --public-key and --origin), then
   that at least --quorum witnesses you pinned (--witness) cosigned it: a witness only
   cosigns a checkpoint consistent with every one it cosigned before, so a quorum of them
   means everyone else was shown the same log;
2. checks that it extends the checkpoint this tool saw last time (kept in a state file),
   with an RFC 9162 consistency proof it computes itself from the log's public hash
   tiles (/log/tile/<L>/<N>);
3. checks inclusion of the events you ask about (by log index), with inclusion proofs
   computed from the tiles, and, with an auditor's token, that the event's bytes in its
   entry bundle (/log/tile/entries/<N>) hash to the leaf the log sealed;
4. with --all-events and a token, reads every entry bundle, re-hashes every event and
   re-builds the tree: it must give the signed root.

Exit status: 0 all checks passed; 1 a check failed (the output says which); 2 the
tool could not run (bad arguments, server unreachable, unexpected answer).

    python3 crs_verify.py --url https://crs.example.org --vkey <log vkey from /log/vkey> \\
        [--witness <witness vkey> ... --quorum 2] [--state ~/.crs-verify.json] \\
        [--token <auditor api token>] [--event 17 --event 42] [--all-events]
    python3 crs_verify.py --url https://crs.example.org --public-key <64 hex> [--origin <origin>] ...
    python3 crs_verify.py --receipt CRS-2021-000123-request_submitted-41.tlog-proof --vkey <log vkey> \\
        [--witness <witness vkey> ... --quorum 2]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class CheckFailed(Exception):
    """A verification failed: the log is not what it claims to be."""


class CannotRun(Exception):
    """The tool could not do its job (network, arguments, an answer it cannot read)."""


# --- RFC 9162 -------------------------------------------------------------------------

def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
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


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return not path and first_root == second_root
    if not path or not 0 < first < second:
        return False
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
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


class TreeBuilder:
    """Builds MTH over leaves appended one by one, keeping only the right edge."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []  # (height, hash)
        self.size = 0

    def append(self, leaf: bytes) -> None:
        height, value, index = 0, leaf, self.size
        while index & 1:
            _, left = self.stack.pop()
            value, height, index = node_hash(left, value), height + 1, index >> 1
        self.stack.append((height, value))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return sha256(b"")
        value = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            value = node_hash(left, value)
        return value


# --- C2SP signed notes, checkpoints and receipts -------------------------------------------

DASH = "\u2014 "


def vkey_parse(vkey: str) -> tuple[str, bytes, int, bytes]:
    """(name, key ID, key type, public key) of a verifier key ``<name>+<8 hex>+<base64(type || key)>``."""
    try:
        name, kid, encoded = vkey.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
        key_id = bytes.fromhex(kid)
    except ValueError:
        raise CannotRun(f"{vkey!r} is not a verifier key <name>+<8 hex>+<base64 key>") from None
    if len(raw) != 33 or sha256(name.encode() + b"\n" + raw)[:4] != key_id:
        raise CannotRun(f"{vkey!r}: its key ID does not match its name and key")
    return name, key_id, raw[0], raw[1:]


def vkey_from_key(name: str, public_key: bytes) -> str:
    """The verifier key of an Ed25519 key under a name (c2sp.org/signed-note)."""
    raw = b"\x01" + public_key
    key_id = sha256(name.encode() + b"\n" + raw)[:4]
    return f"{name}+{key_id.hex()}+{base64.b64encode(raw).decode()}"


def note_check(note: bytes, log_vkey: str, witness_vkeys: list[str], quorum: int,
               what: str = "the checkpoint") -> tuple[str, int, bytes, int]:
    """Verify a checkpoint note: the log's signature, then at least ``quorum`` cosignatures by the pinned
    witnesses. Returns (origin, size, root, witnesses that cosigned)."""
    try:
        text_part, separator, signature_part = note.decode("utf-8").rpartition("\n\n")
    except UnicodeDecodeError:
        raise CheckFailed(f"{what} is not text") from None
    if not separator:
        raise CheckFailed(f"{what} is not a signed note")
    text = (text_part + "\n").encode()
    lines = text_part.split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        raise CheckFailed(f"{what} lacks its origin, size and root")
    name, key_id, key_type, public_key = vkey_parse(log_vkey)
    witnesses = {}
    for vkey in witness_vkeys:
        w_name, w_id, w_type, w_key = vkey_parse(vkey)
        if w_type != 0x04:
            raise CannotRun(f"{vkey!r} is not a witness's cosignature key (type 0x04)")
        witnesses[(w_name, w_id)] = w_key
    log_signed, cosigned, others = False, set(), []
    for line in filter(None, signature_part.split("\n")):
        signer, _, encoded = line.removeprefix(DASH).partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise CheckFailed(f"{what} has a signature line that is not base64: {line!r}") from None
        try:
            if (signer, raw[:4]) == (name, key_id):
                Ed25519PublicKey.from_public_bytes(public_key).verify(raw[4:], text)
                log_signed = True
            elif (signer, raw[:4]) in witnesses and len(raw) == 76:
                message = f"cosignature/v1\ntime {int.from_bytes(raw[4:12], 'big')}\n".encode() + text
                Ed25519PublicKey.from_public_bytes(witnesses[(signer, raw[:4])]).verify(raw[12:], message)
                cosigned.add(signer)
            else:
                others.append(f"{signer}+{raw[:4].hex()}")
        except InvalidSignature:
            raise CheckFailed(f"the signature by {signer} on {what} does not verify") from None
    if not log_signed:
        raise CheckFailed(f"{what} is signed with key {', '.join(others) or '(none)'}, "
                          f"not the pinned key {name}+{key_id.hex()}")
    if lines[0] != name:
        raise CheckFailed(f"{what} names log {lines[0]!r}, not the pinned {name!r}")
    if len(cosigned) < quorum:
        raise CheckFailed(f"{what} has {len(cosigned)} cosignature(s) by pinned witnesses, {quorum} needed: "
                          "without them nothing shows others were shown the same log")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        root = b""
    if len(root) != 32:
        raise CheckFailed(f"{what} does not carry a 32-byte root hash")
    return lines[0], int(lines[1]), root, len(cosigned)


def check_receipt(data: bytes, log_vkey: str, witness_vkeys: list[str], quorum: int) -> str:
    """A c2sp.org/tlog-proof@v1 receipt: the event it carries is in the log its checkpoint signs."""
    head, separator, note = data.partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    if not separator or lines[0] != "c2sp.org/tlog-proof@v1":
        raise CheckFailed("the file is not a c2sp.org/tlog-proof@v1 receipt")
    extra = None
    if lines[1].startswith("extra "):
        extra = base64.b64decode(lines.pop(1)[6:])
    if extra is None:
        raise CheckFailed("the receipt does not carry the event (its extra line)")
    if not lines[1].startswith("index ") or not lines[1][6:].isdigit():
        raise CheckFailed("the receipt has no index line")
    index = int(lines[1][6:])
    proof = [base64.b64decode(line) for line in lines[2:]]
    origin, size, root, cosigned = note_check(note, log_vkey, witness_vkeys, quorum, "the receipt's checkpoint")
    if not verify_inclusion(leaf_hash(extra), index, size, proof, root):
        raise CheckFailed(f"the receipt's event is not leaf {index} of the checkpoint's tree of {size}")
    event = json.loads(extra)
    return (f"event {event.get('type')} of {event.get('request')} at {event.get('at')} is leaf {index} of "
            f"{origin} at size {size} ({cosigned} witness cosignature(s))")


# --- The server: the log's checkpoint and tiles (c2sp.org/tlog-tiles) -------------------------

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT


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


def largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


class Server:
    def __init__(self, url: str, token: str | None, timeout: float = 30.0):
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise CannotRun(f"--url must be an http(s) address, not {url!r}")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.fetched = 0

    def get_bytes(self, path: str, authenticated: bool = False) -> bytes:
        target = f"{self.url}{path}"
        # The scheme was checked to be http(s) in __init__.
        request = urllib.request.Request(target)  # noqa: S310
        if authenticated and self.token:
            request.add_header("Authorization", f"Token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (the auditor's URL)
                self.fetched += 1
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300].strip()
            raise CannotRun(f"GET {target} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise CannotRun(f"GET {target} failed: {exc}") from None


class TiledTree:
    """The hashes of the log's tree of ``size`` leaves, read from its hash tiles as needed.

    Nothing read here is trusted: every proof built from these hashes is checked against
    the signed roots, so a tile the server altered makes a check fail, never pass.
    """

    def __init__(self, server: Server, size: int):
        self.server, self.size = server, size
        self.tiles: dict[tuple[int, int], list[bytes]] = {}

    def tile(self, level: int, index: int) -> list[bytes]:
        if (level, index) not in self.tiles:
            width = min(TILE_WIDTH, (self.size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH)
            if width <= 0:
                raise CannotRun(f"asked for tile {level}/{index} outside a tree of {self.size}")
            path = f"/log/tile/{level}/{tile_index_path(index)}" + ("" if width == TILE_WIDTH else f".p/{width}")
            body = self.server.get_bytes(path)
            if len(body) != 32 * width:
                raise CheckFailed(f"tile {path} has {len(body)} bytes, not the {32 * width} of {width} hashes")
            self.tiles[(level, index)] = [body[i:i + 32] for i in range(0, len(body), 32)]
        return self.tiles[(level, index)]

    def node(self, height: int, index: int) -> bytes:
        """The complete subtree of 2^height leaves number ``index`` (leaves index·2^height onward)."""
        level, rise = divmod(height, TILE_HEIGHT)
        first = index << rise  # its leftmost descendant in the tile's row
        row = self.tile(level, first // TILE_WIDTH)[first % TILE_WIDTH:first % TILE_WIDTH + (1 << rise)]
        while len(row) > 1:
            row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
        return row[0]

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) (RFC 9162 section 2.1.1) from the tiles' complete subtrees."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self.node(n.bit_length() - 1, start // n)
        k = largest_power_of_two_below(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def inclusion_path(self, index: int, start: int = 0, end: int | None = None) -> list[bytes]:
        """PATH(m, D[start:end]) (RFC 9162 section 2.1.3.1)."""
        end = self.size if end is None else end
        n = end - start
        if n == 1:
            return []
        k = largest_power_of_two_below(n)
        if index - start < k:
            return self.inclusion_path(index, start, start + k) + [self.subtree(start + k, end)]
        return self.inclusion_path(index, start + k, end) + [self.subtree(start, start + k)]

    def consistency_path(self, first: int, start: int = 0, end: int | None = None, whole: bool = True) -> list[bytes]:
        """SUBPROOF(m, D[start:end], b) (RFC 9162 section 2.1.4.1)."""
        end = self.size if end is None else end
        n = end - start
        if first == n:
            return [] if whole else [self.subtree(start, end)]
        k = largest_power_of_two_below(n)
        if first <= k:
            return self.consistency_path(first, start, start + k, whole) + [self.subtree(start + k, end)]
        return self.consistency_path(first - k, start + k, end, False) + [self.subtree(start, start + k)]


def entry_bundle(server: Server, index: int, width: int) -> list[bytes]:
    """The events of leaves index·256 onward: each a big-endian uint16 length and the event's canonical bytes."""
    path = f"/log/tile/entries/{tile_index_path(index)}" + ("" if width == TILE_WIDTH else f".p/{width}")
    body, entries, at = server.get_bytes(path, authenticated=True), [], 0
    while at < len(body):
        if at + 2 > len(body):
            raise CheckFailed(f"entry bundle {path} ends inside an entry's length")
        (length,) = struct.unpack(">H", body[at:at + 2])
        entries.append(body[at + 2:at + 2 + length])
        at += 2 + length
        if at > len(body):
            raise CheckFailed(f"entry bundle {path} ends inside an entry")
    if len(entries) != width:
        raise CheckFailed(f"entry bundle {path} holds {len(entries)} entries, not {width}")
    return entries


def event_name(data: bytes) -> str:
    """How the event describes itself (its uid and type), for a failure message."""
    try:
        document = json.loads(data)
        return f"event {document.get('uid')} ({document.get('type')})"
    except (ValueError, AttributeError):
        return "an entry that is not an event"


def check_checkpoint(server: Server, log_vkey: str, witnesses: list[str], quorum: int) -> tuple[int, bytes, str]:
    """Verify /log/checkpoint; return (tree size, root, a description of who signed it)."""
    origin, size, root, cosigned = note_check(server.get_bytes("/log/checkpoint"), log_vkey, witnesses, quorum,
                                              "the latest checkpoint")
    who = f", {cosigned} of {len(witnesses)} pinned witnesses cosigned it (quorum {quorum})" if witnesses else ""
    return size, root, f"log {origin}{who}"


def check_tiles_root(tree: TiledTree, root: bytes) -> None:
    if tree.size and tree.subtree(0, tree.size) != root:
        raise CheckFailed(f"the log's hash tiles do not build the signed root of size {tree.size}: "
                          "the tiles served are not the tree the log signed")


def check_consistency(tree: TiledTree, previous: dict, root: bytes) -> None:
    old_size, old_root, size = previous["tree_size"], bytes.fromhex(previous["root_hash"]), tree.size
    if size < old_size:
        raise CheckFailed(f"the log shrank: it had {old_size} events when last checked and now claims {size}")
    if size == old_size:
        if root != old_root:
            raise CheckFailed(f"the log at size {size} now has a different root than when last checked")
        return
    if old_size == 0:
        return
    path = tree.consistency_path(old_size)
    if not verify_consistency(old_size, size, old_root, root, path):
        raise CheckFailed(f"the log at size {size} does not extend the log you checked at size {old_size}: "
                          "earlier events were changed or removed")


def check_event(server: Server, tree: TiledTree, index: int, root: bytes) -> str:
    size = tree.size
    if not 0 <= index < size:
        raise CheckFailed(f"there is no event at log index {index} in the signed tree of {size}")
    sealed_leaf = tree.node(0, index)
    if not verify_inclusion(sealed_leaf, index, size, tree.inclusion_path(index), root):
        raise CheckFailed(f"event at log index {index}: its inclusion proof does not lead to the signed root")
    if server.token is None:
        return f"event {index}: included (its bytes not checked: no --token)"
    bundle = index // TILE_WIDTH
    entries = entry_bundle(server, bundle, min(TILE_WIDTH, size - bundle * TILE_WIDTH))
    data = entries[index % TILE_WIDTH]
    if leaf_hash(data) != sealed_leaf:
        raise CheckFailed(f"event at log index {index} ({event_name(data)}): its canonical bytes do not hash to "
                          "the leaf the log sealed — the event was changed after it was sealed")
    return f"event {index}: included, and its bytes match the sealed leaf"


def check_all_events(server: Server, tree: TiledTree, root: bytes) -> str:
    """Re-hash every sealed event's bytes, from the entry bundles, and rebuild the tree: it must give the signed root.

    Each bundle is compared with its leaf tile too, so that a changed event is named by its index.
    """
    builder, size = TreeBuilder(), tree.size
    for bundle in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - bundle * TILE_WIDTH)
        sealed = tree.tile(0, bundle)
        for offset, data in enumerate(entry_bundle(server, bundle, width)):
            computed = leaf_hash(data)
            if computed != sealed[offset]:
                index = bundle * TILE_WIDTH + offset
                raise CheckFailed(f"event at log index {index} ({event_name(data)}): its canonical bytes do not "
                                  "hash to the leaf the log sealed — the event was changed after it was sealed")
            builder.append(computed)
        tree.tiles.pop((0, bundle), None)  # a million events' leaves need not stay in memory
    if builder.root() != root:
        raise CheckFailed(f"the {size} events do not build the signed root")
    return f"all {size} events re-hashed: they build the signed root"


def state_read(state: Path) -> dict | None:
    if not state.exists():
        return None
    try:
        previous = json.loads(state.read_text())
        bytes.fromhex(previous["root_hash"])
        int(previous["tree_size"])
    except (ValueError, KeyError, TypeError):
        raise CannotRun(f"{state} is not a state file this tool wrote (tree_size and root_hash)") from None
    return previous


def run(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="The site, e.g. https://crs.example.org")
    parser.add_argument("--vkey", help="The log's verifier key, e.g. from /log/vkey, pinned by you.")
    parser.add_argument("--public-key", help="The log's Ed25519 public key (hex), pinned by you (instead of --vkey).")
    parser.add_argument("--origin", help="With --public-key: the log's origin, if you pin it too.")
    parser.add_argument("--witness", action="append", default=[], help="A witness's verifier key (repeatable).")
    parser.add_argument("--quorum", type=int, default=None,
                        help="Cosignatures by --witness keys required (default: all the --witness keys given).")
    parser.add_argument("--receipt", help="Check an offline .tlog-proof receipt (needs --vkey only, no network).")
    parser.add_argument("--state", default=str(Path.home() / ".crs-verify.json"),
                        help="Where the last verified checkpoint is kept (default ~/.crs-verify.json).")
    parser.add_argument("--token", help="An auditor's API token (to read the entry bundles: events' bytes).")
    parser.add_argument("--event", type=int, action="append", default=[], help="A log index to check (repeatable).")
    parser.add_argument("--all-events", action="store_true", help="Re-hash every event (needs --token).")
    args = parser.parse_args(arguments)
    quorum = len(args.witness) if args.quorum is None else args.quorum
    if quorum < 0:
        print("error: --quorum cannot be negative", file=sys.stderr)
        return 2
    if args.receipt:
        if not args.vkey:
            print("error: --receipt needs --vkey", file=sys.stderr)
            return 2
        try:
            print(f"OK   {check_receipt(Path(args.receipt).read_bytes(), args.vkey, args.witness, quorum)}")
        except CheckFailed as failure:
            print(f"FAIL {failure}")
            return 1
        except (CannotRun, OSError, ValueError) as problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        return 0
    if not args.url or not (args.vkey or args.public_key):
        print("error: give --url and --vkey (or --public-key), or --receipt FILE --vkey KEY", file=sys.stderr)
        return 2
    if args.all_events and not args.token:
        print("error: --all-events needs --token", file=sys.stderr)
        return 2

    state = Path(args.state)
    try:
        server = Server(args.url, args.token)
        log_vkey = args.vkey
        if log_vkey is None:
            try:
                public_key = bytes.fromhex(args.public_key)
                if len(public_key) != 32:
                    raise ValueError
            except ValueError:
                print("error: --public-key must be 64 hex digits (a 32-byte Ed25519 key)", file=sys.stderr)
                return 2
            # Without --origin the key is pinned under whatever origin the checkpoint names.
            origin = args.origin or server.get_bytes("/log/checkpoint").decode("utf-8", "replace").split("\n", 1)[0]
            log_vkey = vkey_from_key(origin, public_key)
        vkey_parse(log_vkey)
        previous = state_read(state)
        size, root, signers = check_checkpoint(server, log_vkey, args.witness, quorum)
        print(f"OK   checkpoint: {size} events, root {root.hex()}, signature valid ({signers})")
        tree = TiledTree(server, size)
        check_tiles_root(tree, root)
        print(f"OK   hash tiles: they build the signed root ({server.fetched} files read)")
        if previous is not None:
            check_consistency(tree, previous, root)
            print(f"OK   consistent with the checkpoint you verified before (size {previous['tree_size']}), "
                  "proved from the hash tiles")
        else:
            print(f"--   no earlier checkpoint in {state}: this one will be pinned")
        for index in args.event:
            print(f"OK   {check_event(server, tree, index, root)}")
        if args.all_events:
            print(f"OK   {check_all_events(server, tree, root)}")
    except CheckFailed as failure:
        print(f"FAIL {failure}")
        return 1
    except CannotRun as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    state.write_text(json.dumps({"tree_size": size, "root_hash": root.hex()}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
