#!/usr/bin/env python3
"""A transparency-log witness anyone can run (c2sp.org/tlog-witness v1.0.0, tlog-cosignature v1.0.1).

A witness remembers, for each log it is told to trust, the latest checkpoint it cosigned,
and cosigns a new checkpoint only when the log proves it extends that one. An NGO, a
university or a newspaper running one beside the platform makes a split view (one history
shown to a government, another to the public) detectable: the witness refuses to cosign
the second history, and parties that insist on its cosignature reject it.

Standard library and ``cryptography`` only; one file. Its state (per log: size and root)
is a JSON file replaced atomically, written before any answer that depends on it.

    # once: create the witness's key and print its verifier key (give it to the log operator)
    python3 crs_witness.py keygen --name witness.example.org --key-file witness.key

    # run: trust one or more logs by their verifier keys
    python3 crs_witness.py serve --name witness.example.org --key-file witness.key \\
        --state witness-state.json --listen 127.0.0.1:7380 \\
        --log 'crs.example.org/log+1a2b3c4d+AU...'

It answers ``POST /add-checkpoint``: 200 with its cosignature line; 409 (body: the size it
holds) when ``old`` is not that size; 422 for a bad consistency proof or the same size
with another root; 403 when no trusted log key signed the checkpoint; 404 for a log it
does not witness; 400 for a malformed request or old > new. From an empty state it
accepts ``old 0`` with an empty proof (every tree extends the empty one).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519, COSIGNATURE_V1 = 0x01, 0x04
DASH = "\u2014 "
BODY_MAX = 1 << 20  # bytes; a checkpoint with 63 proof lines is a few kilobytes


class Refused(Exception):
    def __init__(self, status: int, message: str, content_type: str = "text/plain; charset=utf-8"):
        super().__init__(message)
        self.status, self.message, self.content_type = status, message, content_type


# --- Signed notes and RFC 9162 ------------------------------------------------------------

def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def vkey_parse(vkey: str) -> tuple[str, bytes, int, bytes]:
    name, kid, encoded = vkey.strip().split("+", 2)
    raw = base64.b64decode(encoded, validate=True)
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1) or key_id(name, raw[0], raw[1:]) != bytes.fromhex(kid):
        raise ValueError(f"{vkey!r} is not a valid Ed25519 verifier key")
    return name, bytes.fromhex(kid), raw[0], raw[1:]


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def consistency_verify(first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2 (0 < first < second)."""
    if not 0 < first < second or not proof:
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


# --- The witness ----------------------------------------------------------------------------

class Witness:
    def __init__(self, *, name: str, key: Ed25519PrivateKey, logs: list[str], state_path: Path):
        self.name, self.key, self.state_path = name, key, state_path
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(name, COSIGNATURE_V1, public)
        self.logs: dict[str, list[tuple[bytes, bytes]]] = {}  # origin -> [(key ID, public key)]
        for vkey in logs:
            origin, kid, key_type, public_key = vkey_parse(vkey)
            if key_type != ED25519:
                raise ValueError(f"{vkey!r}: a log signs with an Ed25519 key (type 0x01)")
            self.logs.setdefault(origin, []).append((kid, public_key))
        self.lock = threading.Lock()  # one checkpoint at a time: compare and persist are one step
        self.state = json.loads(state_path.read_text()) if state_path.exists() else {}

    def _persist(self) -> None:
        folder = self.state_path.parent
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".witness-state-")
        with os.fdopen(fd, "w") as handle:
            json.dump(self.state, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.state_path)  # atomic: a crash leaves the old state or the new, never half
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def add_checkpoint(self, body: bytes) -> bytes:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "the request is not UTF-8") from None
        head, blank, note = text.partition("\n\n")
        if not blank:
            raise Refused(400, "no empty line between the proof and the checkpoint")
        lines = head.split("\n")
        if not lines[0].startswith("old ") or not lines[0][4:].isdigit():
            raise Refused(400, "the first line must be 'old <size>'")
        old = int(lines[0][4:])
        try:
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except binascii.Error:
            raise Refused(400, "a proof line is not base64") from None
        if len(proof) > 63 or any(len(h) != 32 for h in proof):
            raise Refused(400, "the proof must be at most 63 hashes of 32 bytes")
        checkpoint_text, signatures = self._open(note)
        origin, size_line, root_line = checkpoint_text.split("\n")[:3]
        if not size_line.isdigit() or (size_line != "0" and size_line.startswith("0")):
            raise Refused(400, "the checkpoint's size is not a decimal number")
        size = int(size_line)
        try:
            root = base64.b64decode(root_line, validate=True)
        except binascii.Error:
            raise Refused(400, "the checkpoint's root is not base64") from None
        if len(root) != 32:
            raise Refused(400, "the checkpoint's root is not 32 bytes")
        if old > size:
            raise Refused(400, f"old size {old} is larger than the checkpoint's size {size}")
        with self.lock:
            known = self.state.get(origin, {"size": 0, "root": None})
            if old != known["size"]:
                raise Refused(409, f"{known['size']}\n", "text/x.tlog.size")
            if size == old and known["root"] is not None:
                if base64.b64decode(known["root"]) != root or proof:
                    raise Refused(422, f"size {size} was cosigned with another root: refusing a fork")
            elif old == 0:
                if proof:
                    raise Refused(422, "a checkpoint after the empty tree needs no proof")
            elif not consistency_verify(old, size, base64.b64decode(known["root"]), root, proof):
                raise Refused(422, f"the consistency proof from size {old} to {size} does not verify")
            if (known["size"], known["root"]) != (size, base64.b64encode(root).decode()):
                self.state[origin] = {"size": size, "root": base64.b64encode(root).decode()}
                self._persist()
            timestamp = int(time.time())
        message = f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint_text.encode()
        signature = self.key.sign(message)
        cosignature = base64.b64encode(self.key_id + timestamp.to_bytes(8, "big") + signature).decode()
        return f"{DASH}{self.name} {cosignature}\n".encode()

    def _open(self, note: str) -> tuple[str, list[str]]:
        """The checkpoint's text (with its final newline) once a trusted log key's signature verifies."""
        text_part, separator, signature_part = note.rpartition("\n\n")
        if not separator:
            raise Refused(400, "the checkpoint is not a signed note")
        text = text_part + "\n"
        lines = text.split("\n")
        if len(lines) < 4 or not all(lines[:3]):
            raise Refused(400, "a checkpoint has an origin, a size and a root")
        origin = lines[0]
        if origin not in self.logs:
            raise Refused(404, f"this witness does not witness log {origin!r}")
        signature_lines = [s for s in signature_part.split("\n") if s]
        for line in signature_lines:
            if not line.startswith(DASH):
                raise Refused(400, "a signature line does not start with an em dash")
            name, _, encoded = line[len(DASH):].partition(" ")
            try:
                raw = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise Refused(400, "a signature is not base64") from None
            if name != origin:
                continue  # other keys (other witnesses) are ignored, as signed-note says
            for kid, public_key in self.logs[origin]:
                if raw[:4] == kid:
                    try:
                        Ed25519PublicKey.from_public_bytes(public_key).verify(raw[4:], text.encode())
                    except InvalidSignature:
                        raise Refused(403, "the log's signature does not verify") from None
                    return text, signature_lines
        raise Refused(403, f"no signature by a trusted key of {origin!r}")


def handler_for(witness: Witness):
    class Handler(BaseHTTPRequestHandler):
        server_version = "crs-witness/1"

        def do_POST(self):  # noqa: N802 (http.server's naming)
            if self.path.rstrip("/").split("?")[0] != "/add-checkpoint":
                return self._answer(404, b"not found\n", "text/plain; charset=utf-8")
            length = int(self.headers.get("Content-Length") or 0)
            if length > BODY_MAX:
                return self._answer(400, b"request too large\n", "text/plain; charset=utf-8")
            try:
                cosignature = witness.add_checkpoint(self.rfile.read(length))
            except Refused as refusal:
                body = refusal.message if refusal.message.endswith("\n") else refusal.message + "\n"
                return self._answer(refusal.status, body.encode(), refusal.content_type)
            return self._answer(200, cosignature, "text/plain; charset=utf-8")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
            print(f"{self.address_string()} {format % args}", flush=True)

    return Handler


def _key(path: Path) -> Ed25519PrivateKey:
    seed = base64.b64decode(path.read_text().strip())
    if len(seed) != 32:
        raise SystemExit(f"{path} does not hold a base64 Ed25519 seed of 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def vkey_of(name: str, key: Ed25519PrivateKey) -> str:
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + public).decode()
    return f"{name}+{key_id(name, COSIGNATURE_V1, public).hex()}+{encoded}"


def run(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="create a key and print the witness's verifier key")
    keygen.add_argument("--name", required=True, help="the witness's name, e.g. witness.example.org")
    keygen.add_argument("--key-file", required=True)
    serve = commands.add_parser("serve", help="answer add-checkpoint requests")
    serve.add_argument("--name", required=True)
    serve.add_argument("--key-file", required=True)
    serve.add_argument("--state", required=True, help="the JSON file holding each log's latest cosigned checkpoint")
    serve.add_argument("--log", action="append", required=True, help="a trusted log's verifier key (repeatable)")
    serve.add_argument("--listen", default="127.0.0.1:7380", help="host:port (default 127.0.0.1:7380)")
    args = parser.parse_args(arguments)
    if " " in args.name or "+" in args.name:
        parser.error("--name may hold no spaces and no '+'")

    key_file = Path(args.key_file)
    if args.command == "keygen":
        if key_file.exists():
            parser.error(f"{key_file} exists; keep the witness's key, or remove it deliberately")
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(os.urandom(32)).decode() + "\n")
        print(vkey_of(args.name, _key(key_file)))
        return 0

    try:
        witness = Witness(name=args.name, key=_key(key_file), logs=args.log, state_path=Path(args.state))
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    host, _, port = args.listen.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), handler_for(witness))
    print(f"witness {vkey_of(args.name, witness.key)} listening on http://{host}:{server.server_address[1]}",
          flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops it; the state is already on disk
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
