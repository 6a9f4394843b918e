"""The Ed25519 key that signs checkpoints, and the signed-note encoding they are served in.

A checkpoint is a C2SP signed note (c2sp.org/signed-note v1.0.0, tlog-checkpoint v1.0.0).
Its text is four lines, each ending in a newline, the time being an extension line::

    <origin>
    <tree size, decimal>
    <root hash, base64>
    <timestamp, RFC 3339 UTC with microseconds>

The signature is plain Ed25519 over exactly these bytes, under the key name equal to the
origin; the note adds one line per signature, ``— <name> base64(key ID || signature)``,
after an empty line. Witnesses' cosignatures (tlog-cosignature v1.0.1, key type 0x04)
are further such lines. The same text was signed before checkpoints were served as
notes, so every checkpoint ever stored is a valid note under its origin's name. The key comes from
CRS_LOG_SIGNING_KEY (base64 of the 32-byte seed) or the file CRS_LOG_SIGNING_KEY_FILE;
with neither, a key is generated on first use and written to that file (outside the
repository, readable by its owner only).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from audit.canonical import format_time

# Signed-note key types (c2sp.org/signed-note): the log's Ed25519 key, and a witness's cosignature key.
ED25519 = 0x01
COSIGNATURE_V1 = 0x04
# The em dash and space that open every signature line.
SIGNATURE_PREFIX = "\u2014 "
COSIGNATURE_HEADER = "cosignature/v1\n"


def checkpoint_body(*, origin: str, tree_size: int, root_hash: bytes, timestamp: datetime) -> bytes:
    return (f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\n{format_time(timestamp)}\n").encode()


def _read_seed(path: Path) -> bytes:
    seed = base64.b64decode(path.read_text().strip())
    if len(seed) != 32:
        raise ImproperlyConfigured(f"{path} does not hold a base64 Ed25519 seed of 32 bytes.")
    return seed


@lru_cache(maxsize=4)
def _key(configured: str, path: str) -> Ed25519PrivateKey:
    if configured:
        seed = base64.b64decode(configured)
        if len(seed) != 32:
            raise ImproperlyConfigured("CRS_LOG_SIGNING_KEY must be base64 of a 32-byte Ed25519 seed.")
        return Ed25519PrivateKey.from_private_bytes(seed)
    key_file = Path(path)
    if not key_file.exists():
        seed = os.urandom(32)
        # O_EXCL: of two processes starting at once, one writes the key and the other reads it.
        try:
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return Ed25519PrivateKey.from_private_bytes(_read_seed(key_file))
        except OSError as exc:
            raise ImproperlyConfigured(
                f"The log's signing key cannot be created at {key_file} ({exc.strerror or exc}): set "
                "CRS_LOG_SIGNING_KEY_FILE to a path this user can write, or CRS_LOG_SIGNING_KEY.") from None
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(seed).decode() + "\n")
        return Ed25519PrivateKey.from_private_bytes(seed)
    return Ed25519PrivateKey.from_private_bytes(_read_seed(key_file))


def signing_key() -> Ed25519PrivateKey:
    return _key(settings.CRS_LOG_SIGNING_KEY, str(settings.CRS_LOG_SIGNING_KEY_FILE))


def public_key_bytes() -> bytes:
    return signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def sign(body: bytes) -> bytes:
    return signing_key().sign(body)


def signature_valid(*, public_key: bytes, body: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, body)
    except Exception:  # InvalidSignature, or a malformed key
        return False
    return True


# --- Signed notes -----------------------------------------------------------------------------

def note_key_id(*, name: str, public_key: bytes, key_type: int = ED25519) -> bytes:
    """The 4-byte key ID that prefixes each signature: SHA-256(name || LF || type || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def note_vkey(*, name: str, public_key: bytes, key_type: int = ED25519) -> str:
    """The verifier key people pin: ``<name>+<key ID, 8 hex>+<base64(type || key)>``."""
    key_id = note_key_id(name=name, public_key=public_key, key_type=key_type).hex()
    return f"{name}+{key_id}+{base64.b64encode(bytes([key_type]) + public_key).decode()}"


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    key_type: int
    public_key: bytes


def vkey_parse(*, vkey: str) -> VerifierKey:
    """A verifier key's parts; ValueError naming what is wrong with it."""
    parts = vkey.strip().split("+", 2)  # the key's base64 may itself hold "+"
    if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
        raise ValueError(f"{vkey!r} is not a verifier key of the form <name>+<8 hex>+<base64 key>")
    name, key_id_hex, encoded = parts
    try:
        key_id = bytes.fromhex(key_id_hex)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise ValueError(f"{vkey!r}: the key ID must be hex and the key base64") from None
    if len(key_id) != 4 or len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise ValueError(f"{vkey!r}: give a 4-byte key ID and an Ed25519 key (type 0x01 or 0x04)")
    key = VerifierKey(name=name, key_id=key_id, key_type=raw[0], public_key=raw[1:])
    if note_key_id(name=name, public_key=key.public_key, key_type=key.key_type) != key_id:
        raise ValueError(f"{vkey!r}: the key ID does not match the name and key")
    return key


def log_vkey() -> str:
    """The log's verifier key under its configured origin."""
    return note_vkey(name=settings.CRS_LOG_ORIGIN, public_key=public_key_bytes())


def signature_line(*, name: str, key_id: bytes, signature: bytes) -> str:
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(key_id + signature).decode()}\n"


def cosigned_message(*, timestamp: int, text: bytes) -> bytes:
    """What a witness signs (tlog-cosignature v1.0.1): a header, the time, then the checkpoint's text."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n".encode() + text
