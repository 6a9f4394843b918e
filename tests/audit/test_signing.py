"""The checkpoint signing key: from settings, or generated once on first use outside the repository."""

from __future__ import annotations

import base64
import stat

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit import signing


def test_a_key_is_generated_on_first_use_and_kept(settings, tmp_path):
    settings.CRS_LOG_SIGNING_KEY = ""
    settings.CRS_LOG_SIGNING_KEY_FILE = tmp_path / "keys" / "log-signing-key"

    first = signing.public_key_bytes()
    signing._key.cache_clear()
    second = signing.public_key_bytes()

    assert first == second
    mode = stat.S_IMODE(settings.CRS_LOG_SIGNING_KEY_FILE.stat().st_mode)
    assert mode == 0o600, "only its owner may read the key"


def test_a_key_from_settings_is_used(settings):
    seed = bytes(range(32))
    settings.CRS_LOG_SIGNING_KEY = base64.b64encode(seed).decode()

    expected = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert signing.public_key_bytes() == expected


def test_the_default_key_file_is_outside_the_repository():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRS_LOG_SIGNING")}
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                             "from django.conf import settings; print(settings.CRS_LOG_SIGNING_KEY_FILE)"],
                            cwd=root, capture_output=True, text=True, env={**env, "DJANGO_SETTINGS_MODULE":
                                                                           "config.settings"}, check=True)

    default = Path(result.stdout.strip().splitlines()[-1])
    assert default.is_absolute()
    assert root not in default.parents


def test_a_signature_covers_exactly_the_documented_note():
    from datetime import UTC, datetime

    body = signing.checkpoint_body(origin="o", tree_size=3, root_hash=b"\x01" * 32,
                                   timestamp=datetime(2021, 11, 2, 9, 30, tzinfo=UTC))
    assert body == b"o\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n2021-11-02T09:30:00.000000Z\n"
    signature = signing.sign(body)

    assert signing.signature_valid(public_key=signing.public_key_bytes(), body=body, signature=signature)
    assert not signing.signature_valid(public_key=signing.public_key_bytes(), body=body + b"x", signature=signature)
