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
    parser.add_argument("--url", required=True, help="The site, e.g. https://crs.example.org")
    parser.add_argument("--public-key", required=True, help="The log's Ed25519 public key (hex), pinned by you.")
    parser.add_argument("--origin", help="The log's origin line, if you pin it too.")
    parser.add_argument("--state", default=str(Path.home() / ".crs-verify.json"),
                        help="Where the last verified checkpoint is kept (default ~/.crs-verify.json).")
    parser.add_argument("--token", help="An auditor's API token (to check events' bytes).")
    parser.add_argument("--event", type=int, action="append", default=[], help="A log index to check (repeatable).")
    parser.add_argument("--all-events", action="store_true", help="Re-hash every event (needs --token).")
    args = parser.parse_args(arguments)

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
