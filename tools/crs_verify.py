#!/usr/bin/env python3
"""Stand-alone verifier for a CRS Simulator transparency log.

Runs on an auditor's own machine with the Python standard library and the
``cryptography`` package only; it trusts nothing the server says that it can check:

1. fetches the latest signed checkpoint and checks its Ed25519 signature against the
   public key you pinned (and, if given, the log's origin);
2. checks that it extends the checkpoint this tool saw last time (kept in a state
   file) with an RFC 9162 consistency proof;
3. checks inclusion of the events you ask about (by log index) with RFC 9162
   inclusion proofs, and, with an auditor's token, that each event's canonical
   bytes hash to the leaf the log sealed;
4. with --all-events and a token, re-builds the whole tree from every event's bytes
   and compares it with the signed root.

Exit status: 0 all checks passed; 1 a check failed (the output says which); 2 the
tool could not run (bad arguments, server unreachable, unexpected answer).

    python3 crs_verify.py --receipt CRS-2021-000123-request_submitted-41.tlog-proof --vkey <log vkey> \\
        [--witness <witness vkey> ... --quorum 2]
    python3 crs_verify.py --url https://crs.example.org --public-key <64 hex> \\
        [--origin crs-simulator/transparency-log] [--state ~/.crs-verify.json] \\
        [--token <auditor api token>] [--event 17 --event 42] [--all-events]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
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


def note_check(note: bytes, log_vkey: str, witness_vkeys: list[str], quorum: int) -> tuple[str, int, bytes, int]:
    """Verify a checkpoint note: the log's signature, then at least ``quorum`` cosignatures by the pinned
    witnesses. Returns (origin, size, root, witnesses that cosigned)."""
    text_part, separator, signature_part = note.decode("utf-8").rpartition("\n\n")
    if not separator:
        raise CheckFailed("the checkpoint is not a signed note")
    text = (text_part + "\n").encode()
    lines = text_part.split("\n")
    if len(lines) < 3:
        raise CheckFailed("the checkpoint lacks its origin, size and root")
    name, key_id, key_type, public_key = vkey_parse(log_vkey)
    witnesses = {}
    for vkey in witness_vkeys:
        w_name, w_id, w_type, w_key = vkey_parse(vkey)
        if w_type != 0x04:
            raise CannotRun(f"{vkey!r} is not a witness's cosignature key (type 0x04)")
        witnesses[(w_name, w_id)] = w_key
    log_signed, cosigned = False, set()
    for line in filter(None, signature_part.split("\n")):
        signer, _, encoded = line.removeprefix(DASH).partition(" ")
        raw = base64.b64decode(encoded)
        try:
            if (signer, raw[:4]) == (name, key_id):
                Ed25519PublicKey.from_public_bytes(public_key).verify(raw[4:], text)
                log_signed = True
            elif (signer, raw[:4]) in witnesses and len(raw) == 76:
                message = f"cosignature/v1\ntime {int.from_bytes(raw[4:12], 'big')}\n".encode() + text
                Ed25519PublicKey.from_public_bytes(witnesses[(signer, raw[:4])]).verify(raw[12:], message)
                cosigned.add(signer)
        except InvalidSignature:
            raise CheckFailed(f"the signature by {signer} on the checkpoint does not verify") from None
    if not log_signed:
        raise CheckFailed(f"the checkpoint carries no signature by the pinned log key {name}")
    if lines[0] != name:
        raise CheckFailed(f"the checkpoint names log {lines[0]!r}, not the pinned {name!r}")
    if len(cosigned) < quorum:
        raise CheckFailed(f"the checkpoint has {len(cosigned)} cosignature(s) by pinned witnesses, {quorum} needed: "
                          "without them nothing shows others were shown the same log")
    return lines[0], int(lines[1]), base64.b64decode(lines[2]), len(cosigned)


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
    origin, size, root, cosigned = note_check(note, log_vkey, witness_vkeys, quorum)
    if not verify_inclusion(leaf_hash(extra), index, size, proof, root):
        raise CheckFailed(f"the receipt's event is not leaf {index} of the checkpoint's tree of {size}")
    event = json.loads(extra)
    return (f"event {event.get('type')} of {event.get('request')} at {event.get('at')} is leaf {index} of "
            f"{origin} at size {size} ({cosigned} witness cosignature(s))")


# --- The server -------------------------------------------------------------------------

class Server:
    def __init__(self, url: str, token: str | None, timeout: float = 30.0):
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise CannotRun(f"--url must be an http(s) address, not {url!r}")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def get(self, path: str, **params) -> dict:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        target = path if path.startswith("http") else f"{self.url}{path}{query}"
        # The scheme was checked to be http(s) in __init__; "next" links come from the same server.
        request = urllib.request.Request(target, headers={"Accept": "application/json"})  # noqa: S310
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (the auditor's URL)
                return json.load(response)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise CannotRun(f"GET {target} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
            raise CannotRun(f"GET {target} failed: {exc}") from None


def _hex(value: str, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        raise CannotRun(f"the server sent a {what} that is not hex: {value!r}") from None


def check_checkpoint(checkpoint: dict, public_key: bytes, origin: str | None) -> tuple[int, bytes]:
    """Verify the checkpoint's signature over its signed note; return (tree size, root)."""
    note = base64.b64decode(checkpoint["signed_note"])
    lines = note.decode().split("\n")
    if len(lines) != 5 or lines[-1] != "":
        raise CheckFailed("the checkpoint's signed note does not have the documented four lines")
    note_origin, note_size, note_root, _timestamp = lines[:4]
    size, root = int(note_size), base64.b64decode(note_root)
    if _hex(checkpoint["public_key"], "public key") != public_key:
        raise CheckFailed(f"the latest checkpoint is signed with key {checkpoint['public_key']}, "
                          f"not the pinned key {public_key.hex()}")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(_hex(checkpoint["signature"], "signature"), note)
    except InvalidSignature:
        raise CheckFailed(f"the checkpoint at size {size} has an invalid signature") from None
    if origin is not None and note_origin != origin:
        raise CheckFailed(f"the checkpoint names log {note_origin!r}, not the pinned {origin!r}")
    if checkpoint["tree_size"] != size or _hex(checkpoint["root_hash"], "root hash") != root:
        raise CheckFailed("the checkpoint's fields differ from what its signature covers")
    return size, root


def check_consistency(server: Server, previous: dict, size: int, root: bytes) -> None:
    old_size, old_root = previous["tree_size"], bytes.fromhex(previous["root_hash"])
    if size < old_size:
        raise CheckFailed(f"the log shrank: it had {old_size} events when last checked and now claims {size}")
    if size == old_size:
        if root != old_root:
            raise CheckFailed(f"the log at size {size} now has a different root than when last checked")
        return
    proof = server.get("/api/v1/audit/consistency/", first=old_size, second=size)
    path = [_hex(h, "proof hash") for h in proof["proof"]]
    if not verify_consistency(old_size, size, old_root, root, path):
        raise CheckFailed(f"the log at size {size} does not extend the log you checked at size {old_size}: "
                          "earlier events were changed or removed")


def check_event(server: Server, index: int, size: int, root: bytes) -> str:
    proof = server.get(f"/api/v1/audit/events/{index}/proof/", tree_size=size)
    sealed_leaf = _hex(proof["leaf_hash"], "leaf hash")
    path = [_hex(h, "proof hash") for h in proof["audit_path"]]
    if not verify_inclusion(sealed_leaf, index, size, path, root):
        raise CheckFailed(f"event at log index {index}: its inclusion proof does not lead to the signed root")
    if server.token is None:
        return f"event {index}: included (its bytes not checked: no --token)"
    page = server.get("/api/v1/audit/events/", log_index=index)
    matches = [e for e in page.get("results", []) if e.get("log_index") == index]
    if not matches:
        raise CheckFailed(f"event at log index {index}: the server does not return it")
    data = base64.b64decode(matches[0]["canonical"])
    if leaf_hash(data) != sealed_leaf:
        raise CheckFailed(f"event at log index {index} (event {matches[0].get('id')}): its canonical bytes do not "
                          "hash to the leaf the log sealed — the event was changed after it was sealed")
    return f"event {index}: included, and its bytes match the sealed leaf"


def check_all_events(server: Server, size: int, root: bytes) -> str:
    """Re-hash every sealed event's bytes and rebuild the tree: it must give the signed root.

    Events come in the order they were written; the log seals them in nearly that order,
    so the few that arrive ahead of their turn wait in a small buffer.
    """
    builder = TreeBuilder()
    waiting: dict[int, bytes] = {}
    url: str | None = server.url + "/api/v1/audit/events/?" + urllib.parse.urlencode({"sealed": "true"})
    while url and builder.size < size:
        page = server.get(url)
        for event in page.get("results", []):
            index = event.get("log_index")
            if index is None or index >= size:
                continue
            computed = leaf_hash(base64.b64decode(event["canonical"]))
            if event.get("leaf_hash") and computed != _hex(event["leaf_hash"], "leaf hash"):
                raise CheckFailed(f"event at log index {index} (event {event.get('id')}): its canonical bytes do "
                                  "not hash to the leaf the log sealed — the event was changed after it was sealed")
            waiting[index] = computed
            while builder.size in waiting:
                builder.append(waiting.pop(builder.size))
        url = page.get("next")
    if builder.size != size:
        raise CheckFailed(f"the server returned events for {builder.size} leaves in order, the checkpoint covers "
                          f"{size}: events are missing")
    if builder.root() != root:
        raise CheckFailed(f"the {size} events do not build the signed root")
    return f"all {size} events re-hashed: they build the signed root"


def run(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="The site, e.g. https://crs.example.org")
    parser.add_argument("--public-key", help="The log's Ed25519 public key (hex), pinned by you.")
    parser.add_argument("--receipt", help="Check an offline .tlog-proof receipt (needs --vkey only, no network).")
    parser.add_argument("--vkey", help="The log's verifier key, e.g. from /log/vkey, pinned by you.")
    parser.add_argument("--witness", action="append", default=[], help="A witness's verifier key (repeatable).")
    parser.add_argument("--quorum", type=int, default=0, help="Cosignatures by --witness keys required.")
    parser.add_argument("--origin", help="The log's origin line, if you pin it too.")
    parser.add_argument("--state", default=str(Path.home() / ".crs-verify.json"),
                        help="Where the last verified checkpoint is kept (default ~/.crs-verify.json).")
    parser.add_argument("--token", help="An auditor's API token (to check events' bytes).")
    parser.add_argument("--event", type=int, action="append", default=[], help="A log index to check (repeatable).")
    parser.add_argument("--all-events", action="store_true", help="Re-hash every event (needs --token).")
    args = parser.parse_args(arguments)
    if args.receipt:
        if not args.vkey:
            print("error: --receipt needs --vkey", file=sys.stderr)
            return 2
        try:
            print(f"OK   {check_receipt(Path(args.receipt).read_bytes(), args.vkey, args.witness, args.quorum)}")
        except CheckFailed as failure:
            print(f"FAIL {failure}")
            return 1
        except (CannotRun, OSError, ValueError) as problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        return 0
    if not args.url or not args.public_key:
        print("error: give --url and --public-key (or --receipt FILE --vkey KEY)", file=sys.stderr)
        return 2

    try:
        public_key = bytes.fromhex(args.public_key)
        if len(public_key) != 32:
            raise ValueError
    except ValueError:
        print("error: --public-key must be 64 hex digits (a 32-byte Ed25519 key)", file=sys.stderr)
        return 2
    if args.all_events and not args.token:
        print("error: --all-events needs --token", file=sys.stderr)
        return 2

    state = Path(args.state)
    try:
        server = Server(args.url, args.token)
        size, root = check_checkpoint(server.get("/api/v1/audit/checkpoints/latest/"), public_key, args.origin)
        print(f"OK   checkpoint: {size} events, root {root.hex()}, signature valid")
        if state.exists():
            previous = json.loads(state.read_text())
            check_consistency(server, previous, size, root)
            print(f"OK   consistent with the checkpoint you verified before (size {previous['tree_size']})")
        else:
            print(f"--   no earlier checkpoint in {state}: this one will be pinned")
        for index in args.event:
            print(f"OK   {check_event(server, index, size, root)}")
        if args.all_events:
            print(f"OK   {check_all_events(server, size, root)}")
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
