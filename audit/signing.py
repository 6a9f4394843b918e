"""The Ed25519 key that signs checkpoints, and the checkpoint's signed encoding.

A checkpoint's signed body is UTF-8 text of four lines, each ending in a newline
(after the C2SP checkpoint format, with the time as an extension line)::

    <origin>
    <tree size, decimal>
    <root hash, base64>
    <timestamp, RFC 3339 UTC with microseconds>

The signature is Ed25519 over exactly these bytes. The key comes from
CRS_LOG_SIGNING_KEY (base64 of the 32-byte seed) or the file CRS_LOG_SIGNING_KEY_FILE;
with neither, a key is generated on first use and written to that file (outside the
repository, readable by its owner only).
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from audit.canonical import format_time


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
