"""Backups that keep the proof: the database and the log's signing key in one archive, restored together.

A restored database without its key still verifies (each checkpoint carries its public key),
but the log could only go on under a new key, and every verifier pinned to the old one would
reject the next checkpoint. So the archive holds both, and a manifest that names the latest
signed checkpoint: a restore is accepted only when the restored log ends in that checkpoint.

The archive (tar.gz, readable by its owner only, since it holds the private key)::

    manifest.json        what was backed up: engine, migrations, latest checkpoint, the key's public half
    database.pgdump      PostgreSQL: pg_dump --format=custom     (or)
    database.sqlite3     SQLite: a copy made with SQLite's online backup API
    log-signing-key      base64 of the Ed25519 seed, as CRS_LOG_SIGNING_KEY_FILE holds it (absent if none)

Evidence files (CRS_DATA_DIR/evidence) are not in the database: docs/operations.md says how to copy them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection, transaction

from audit import signing
from audit.models import Checkpoint

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
KEY = "log-signing-key"
DATABASE_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
SQLITE_PAGES_PER_STEP = 4096  # pages copied between progress reports (4 KiB each by default)
CHUNK_BYTES = 1 << 20

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says what to do."""


# --- The key -------------------------------------------------------------------------------------

def _seed_from_text(text: str, where: str) -> bytes:
    try:
        seed = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise BackupError(f"{where} does not hold a base64 Ed25519 seed of 32 bytes.")
    return seed


def _public_key(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def configured_key_seed() -> bytes | None:
    """The seed the log signs with, read as audit/signing.py reads it; None when no key exists yet.

    Never creates one: a backup only reads.
    """
    if settings.CRS_LOG_SIGNING_KEY:
        return _seed_from_text(settings.CRS_LOG_SIGNING_KEY, "CRS_LOG_SIGNING_KEY")
    path = Path(settings.CRS_LOG_SIGNING_KEY_FILE)
    if not path.exists():
        return None
    return _seed_from_text(path.read_text(), str(path))


# --- What the manifest says about the log -------------------------------------------------------

def _log_state(cursor) -> dict:
    """The latest checkpoint and the applied migrations, read through ``cursor`` (Django's or sqlite3's)."""
    cursor.execute(f"SELECT tree_size, root_hash, public_key, timestamp FROM {Checkpoint._meta.db_table} "  # noqa: S608
                   "ORDER BY tree_size DESC LIMIT 1")
    row = cursor.fetchone()
    checkpoint = None
    if row is not None:
        size, root, public_key, timestamp = row
        checkpoint = {"tree_size": int(size), "root_hash": bytes(root).hex(), "public_key": bytes(public_key).hex(),
                      "key_id": signing.key_id(bytes(public_key)), "timestamp": str(timestamp)}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    latest: dict[str, str] = {}
    applied = 0
    for app, name in cursor.fetchall():
        latest[app] = name
        applied += 1
    return {"checkpoint": checkpoint, "migrations": {"applied": applied, "latest": dict(sorted(latest.items()))}}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


# --- PostgreSQL ----------------------------------------------------------------------------------

def _pg_environment() -> dict[str, str]:
    """libpq's variables for Django's own connection settings: the password never appears on a command line."""
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[variable] = str(db[key])
    options = db.get("OPTIONS", {})
    if options.get("sslmode"):
        env["PGSSLMODE"] = options["sslmode"]
    return env


def _run_pg_tool(arguments: list[str], progress: Progress, what: str) -> None:
    """Run pg_dump or pg_restore with --verbose, reporting each table as it passes."""
    started = time.monotonic()
    try:
        process = subprocess.Popen(arguments, env=_pg_environment(), stdout=subprocess.DEVNULL,  # noqa: S603
                                   stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise BackupError(f"{arguments[0]} is not installed: install the PostgreSQL client tools (the same major "
                          "version as the server or newer), e.g. apt-get install postgresql-client.") from None
    errors = []
    tables = 0
    for line in process.stderr:
        line = line.rstrip()
        if "contents of table" in line or "processing data for table" in line:
            tables += 1
            progress(f"  {what}: table {tables}: {line.rsplit(' ', 1)[-1]}")
        elif "error" in line.lower() or "fatal" in line.lower():
            errors.append(line)
    if process.wait() != 0:
        raise BackupError(f"{arguments[0]} failed: " + ("; ".join(errors[-5:]) or f"exit code {process.returncode}"))
    progress(f"  {what}: {tables} table(s) in {time.monotonic() - started:.1f} s")


def _pg_dump(target: Path, progress: Progress) -> dict:
    """Dump the database and read the manifest's facts in one snapshot, so they describe the same moment."""
    connection.ensure_connection()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        state = _log_state(cursor)
        # The snapshot lives as long as this transaction: pg_dump must finish inside it.
        _run_pg_tool(["pg_dump", "--format=custom", "--verbose", f"--snapshot={snapshot}", f"--file={target}"],
                     progress, "dump")
    return state


def _pg_restore(source: Path, *, clean: bool, progress: Progress) -> None:
    arguments = ["pg_restore", "--verbose", "--no-owner", "--no-privileges", "--exit-on-error",
                 "--single-transaction", f"--dbname={settings.DATABASES['default']['NAME']}"]
    if clean:
        arguments += ["--clean", "--if-exists"]
    _run_pg_tool([*arguments, str(source)], progress, "restore")


# --- SQLite --------------------------------------------------------------------------------------

def _sqlite_copy(source: str | Path, target: str | Path, progress: Progress, what: str) -> None:
    """SQLite's online backup API: a consistent copy even while the web server and workers write."""
    started = time.monotonic()

    def report(_status: int, remaining: int, total: int) -> None:
        progress(f"  {what}: {total - remaining} of {total} page(s)")

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst, pages=SQLITE_PAGES_PER_STEP, progress=report)
    src.close()
    dst.close()
    progress(f"  {what}: done in {time.monotonic() - started:.1f} s")


def _sqlite_dump(target: Path, progress: Progress) -> dict:
    _sqlite_copy(settings.DATABASES["default"]["NAME"], target, progress, "copy")
    # The manifest describes the copy itself, not the live file that may have moved on.
    copy = sqlite3.connect(target)
    try:
        return _log_state(copy.cursor())
    finally:
        copy.close()


# --- Creating ------------------------------------------------------------------------------------

def _engine() -> str:
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"Backups cover PostgreSQL and SQLite; this database is {connection.vendor}.")
    return connection.vendor


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, int(time.time())
    archive.addfile(info, io.BytesIO(data))


def backup_create(*, output: Path, progress: Progress) -> dict:
    """Write one archive with the database, the signing key and a manifest; return the manifest.

    The output file is created readable by its owner only and never overwrites an existing file.
    """
    engine = _engine()
    seed = configured_key_seed()
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{output} exists already; give a new file name (a backup never overwrites one).") from None
    except OSError as exc:
        raise BackupError(f"Cannot create {output}: {exc.strerror}.") from None
    try:
        with tempfile.TemporaryDirectory(prefix="crs-backup-") as work:
            dump = Path(work) / DATABASE_FILES[engine]
            progress(f"Backing up the {engine} database {settings.DATABASES['default']['NAME']} ...")
            state = _pg_dump(dump, progress) if engine == "postgresql" else _sqlite_dump(dump, progress)
            manifest = {
                "format": ARCHIVE_FORMAT,
                "created_at": datetime.now(UTC).isoformat(),
                "engine": engine,
                "database": {"file": dump.name, "bytes": dump.stat().st_size, "sha256": _sha256(dump)},
                "migrations": state["migrations"],
                "log": {"origin": settings.CRS_LOG_ORIGIN, "checkpoint": state["checkpoint"]},
                "signing_key": None if seed is None else {
                    "file": KEY, "public_key": _public_key(seed).hex(), "key_id": signing.key_id(_public_key(seed))},
            }
            progress(f"Writing {output} ...")
            with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as archive:
                fd = None
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n", 0o600)
                archive.add(dump, arcname=dump.name, recursive=False)
                if seed is not None:
                    _add_bytes(archive, KEY, base64.b64encode(seed) + b"\n", 0o600)
    except BaseException:
        if fd is not None:
            os.close(fd)
        output.unlink(missing_ok=True)
        raise
    progress(f"Done: {_size(output.stat().st_size)}.")
    return manifest


# --- Restoring -----------------------------------------------------------------------------------

def backup_manifest(archive: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(archive.extractfile(MANIFEST))
    except (KeyError, json.JSONDecodeError):
        raise BackupError("This file is not a CRS backup (it has no readable manifest.json).") from None
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(f"This backup has format {manifest.get('format')!r}; this version restores format "
                          f"{ARCHIVE_FORMAT} only.")
    return manifest


def _key_plan(manifest: dict, archive: tarfile.TarFile, *, replace_key: bool) -> bytes | None:
    """The seed to install, after checking it may be installed; None when the backup holds no key."""
    if manifest["signing_key"] is None:
        return None
    seed = _seed_from_text(archive.extractfile(KEY).read().decode(), f"The backup's {KEY}")
    if _public_key(seed).hex() != manifest["signing_key"]["public_key"]:
        raise BackupError("The backup's signing key does not match its manifest: the archive is damaged.")
    if settings.CRS_LOG_SIGNING_KEY and _seed_from_text(settings.CRS_LOG_SIGNING_KEY, "CRS_LOG_SIGNING_KEY") != seed:
        raise BackupError("CRS_LOG_SIGNING_KEY is set to a different key than the backup's, and it would win over the "
                          "restored key file: unset it (or set it to the backup's key) and restore again.")
    path = Path(settings.CRS_LOG_SIGNING_KEY_FILE)
    if path.exists() and not replace_key and _seed_from_text(path.read_text(), str(path)) != seed:
        raise BackupError(f"{path} holds a different signing key than the backup's. Move it aside (it may sign "
                          "checkpoints of another log), or pass --replace-key to overwrite it.")
    return seed


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _extract_database(archive: tarfile.TarFile, manifest: dict, work: Path, progress: Progress) -> Path:
    name = manifest["database"]["file"]
    if name not in DATABASE_FILES.values():
        raise BackupError(f"The manifest names an unexpected database file {name!r}: the archive is damaged.")
    target = work / name
    progress(f"Unpacking {name} ({_size(manifest['database']['bytes'])}) ...")
    try:
        source = archive.extractfile(name)
    except KeyError:
        raise BackupError(f"The backup has no {name}: the archive is damaged.") from None
    with target.open("wb") as handle:
        while chunk := source.read(CHUNK_BYTES):
            handle.write(chunk)
    if _sha256(target) != manifest["database"]["sha256"]:
        raise BackupError(f"{name} does not match the checksum in the manifest: the archive is damaged.")
    return target


def _install_key(seed: bytes, progress: Progress) -> None:
    """Write the key file readable by its owner only; replace an existing one in a single rename."""
    path = Path(settings.CRS_LOG_SIGNING_KEY_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and _seed_from_text(path.read_text(), str(path)) == seed:
        progress(f"The signing key is already in {path}.")
        return
    temporary = path.with_name(f".{path.name}.restoring")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(seed).decode() + "\n")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    progress(f"Wrote the signing key to {path} (mode 0600).")


def restored_log_check(manifest: dict) -> dict | None:
    """The restored log's latest checkpoint, if it is the manifest's and its signature verifies; else BackupError."""
    expected = manifest["log"]["checkpoint"]
    latest = Checkpoint.objects.order_by("-tree_size").first()
    if expected is None:
        if latest is not None:
            raise BackupError("The backup's manifest names no checkpoint, yet the restored log has one.")
        return None
    if latest is None or (latest.tree_size, bytes(latest.root_hash).hex(), bytes(latest.public_key).hex()) != (
            expected["tree_size"], expected["root_hash"], expected["public_key"]):
        found = f"size {latest.tree_size}, root {bytes(latest.root_hash).hex()}" if latest else "no checkpoint"
        raise BackupError(f"The restored log ends in {found}, not in the manifest's checkpoint (size "
                          f"{expected['tree_size']}, root {expected['root_hash']}): do not use this database.")
    body = signing.checkpoint_body(origin=settings.CRS_LOG_ORIGIN, tree_size=latest.tree_size,
                                   root_hash=bytes(latest.root_hash), timestamp=latest.timestamp)
    if not signing.signature_valid(public_key=bytes(latest.public_key), body=body, signature=bytes(latest.signature)):
        raise BackupError(f"The restored checkpoint at size {latest.tree_size} does not verify under log origin "
                          f"{settings.CRS_LOG_ORIGIN!r}: is CRS_LOG_ORIGIN the same as where the backup was made?")
    return expected


def _restore_database(archive: tarfile.TarFile, *, engine: str, work: Path, force: bool, replace_key: bool,
                      progress: Progress) -> tuple[dict, bytes | None]:
    manifest = backup_manifest(archive)
    if manifest["engine"] != engine:
        raise BackupError(f"This backup is of a {manifest['engine']} database and the configured one is "
                          f"{engine}: restore into a {manifest['engine']} database (DATABASE_URL).")
    progress(f"Backup of {manifest['created_at']}: {manifest['migrations']['applied']} migration(s), "
             + (f"log at size {manifest['log']['checkpoint']['tree_size']}."
                if manifest["log"]["checkpoint"] else "no checkpoint yet."))
    seed = _key_plan(manifest, archive, replace_key=replace_key)
    empty = _database_is_empty()
    if not empty and not force:
        raise BackupError(f"The database {settings.DATABASES['default']['NAME']} is not empty. Restore into a new, "
                          "empty database, or pass --force to replace what it holds.")
    dump = _extract_database(archive, manifest, work, progress)
    progress(f"Restoring into {settings.DATABASES['default']['NAME']} ...")
    connection.close()
    if engine == "postgresql":
        _pg_restore(dump, clean=not empty, progress=progress)
    else:
        _sqlite_copy(dump, settings.DATABASES["default"]["NAME"], progress, "restore")
    connection.close()
    return manifest, seed


def backup_restore(*, archive_path: Path, force: bool, replace_key: bool, progress: Progress) -> dict:
    """Restore an archive into the configured (empty) database and key file, then check the log's latest checkpoint.

    Everything that could refuse is checked before anything is written: the archive, the engine,
    the key, an empty database (``force`` restores over a non-empty one).
    """
    engine = _engine()
    if not archive_path.is_file():
        raise BackupError(f"{archive_path} does not exist.")
    try:
        with tarfile.open(archive_path, mode="r:gz") as archive, tempfile.TemporaryDirectory(
                prefix="crs-restore-") as work:
            manifest, seed = _restore_database(archive, engine=engine, work=Path(work), force=force,
                                               replace_key=replace_key, progress=progress)
    except (tarfile.TarError, EOFError):
        raise BackupError(f"{archive_path} is not a CRS backup, or it is truncated (not a whole tar.gz).") from None
    if seed is not None:
        _install_key(seed, progress)
    else:
        progress("The backup holds no signing key (the log had none yet).")
    restored_log_check(manifest)
    checkpoint = manifest["log"]["checkpoint"]
    if checkpoint:
        progress(f"The restored log ends in the backup's checkpoint: size {checkpoint['tree_size']}, "
                 f"root {checkpoint['root_hash']}.")
    return manifest
