"""backup_create and backup_restore, run as an operator runs them: separate processes on databases of their own.

On PostgreSQL (when the suite runs on it) each test module makes a source database and fresh
targets with unique names and drops them afterwards; on SQLite they are files in a temporary folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

_spec = importlib.util.spec_from_file_location("crs_verify", ROOT / "tools" / "crs_verify.py")
crs_verify = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crs_verify)

# Run with `manage.py shell -c` in the source installation: a workflow with decisions, sealed.
BUILD = """
import json
from audit.log import checkpoint_document, log_seal_all
from classroom.scenarios import load_scenario
from reports import roles
from reports.models import Agency
from tests.builders import decided, filed_and_screened
from tests.factories import ReporterFactory, UserFactory, user_in_role
load_scenario("kazakhstan-2021")
reporter = ReporterFactory(user=UserFactory(username="kz_reporter"), agency=Agency.objects.get(code="kz-misd"))
reviewer = user_in_role("senior_reviewer", roles.SENIOR_REVIEWER)
decided(reviewer, filed_and_screened(reporter, "kz-0001"))
filed_and_screened(reporter, "kz-0002")
print(json.dumps(checkpoint_document(log_seal_all()), default=str))
"""

# Run in the restored installation: the log goes on, and proves it extends the checkpoint before the backup.
GO_ON = """
import json
from audit.log import checkpoint_document, checkpoint_note, consistency_proof, log_seal_all
from reports.models import ReporterAccount
from tests.builders import filed_and_screened
filed_and_screened(ReporterAccount.objects.get(user__username="kz_reporter"), "kz-0003")
checkpoint = log_seal_all()
print(json.dumps({"checkpoint": checkpoint_document(checkpoint), "note": checkpoint_note(checkpoint).decode(),
                  "proof": consistency_proof(first=FIRST, second=checkpoint.tree_size)}, default=str))
"""


class Installation:
    """One database and one key file, driven through manage.py in separate processes."""

    def __init__(self, folder: Path, database_url: str):
        folder.mkdir(parents=True, exist_ok=True)
        self.key_file = folder / "keys" / "log-signing-key"
        env = {k: v for k, v in os.environ.items()
               if k not in {"CRS_LOG_SIGNING_KEY", "REDIS_URL", "PYTEST_XDIST_WORKER", "CRS_CACHE_URL"}}
        self.env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url,
                    "CRS_DATA_DIR": str(folder / "data"), "CRS_LOG_SIGNING_KEY_FILE": str(self.key_file)}

    def manage(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=300)
        if check:
            assert result.returncode == 0, f"manage.py {' '.join(arguments)} failed:\n{result.stderr[-3000:]}"
        return result

    def shell(self, code: str) -> dict:
        return json.loads(self.manage("shell", "-c", code).stdout.strip().splitlines()[-1])


class Databases:
    """Databases the tests create, each with a unique name, all dropped at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.names: list[str] = []

    def new(self, role: str) -> str:
        name = f"crs_backup_{role}_{uuid.uuid4().hex[:10]}"
        if not ON_POSTGRES:
            return f"sqlite:///{self.folder / (name + '.sqlite3')}"
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        db = settings.DATABASES["default"]
        credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
        return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"

    def _admin(self):
        import psycopg

        db = settings.DATABASES["default"]
        return psycopg.connect(dbname="postgres", user=db["USER"], password=db.get("PASSWORD") or None,
                               host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, autocommit=True)

    def drop_all(self) -> None:
        if self.names:
            with self._admin() as admin:
                for name in self.names:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    made = Databases(tmp_path_factory.mktemp("databases"))
    yield made
    made.drop_all()


@pytest.fixture(scope="module")
def backup(databases, tmp_path_factory):
    """A source installation with a decided workflow and a sealed log, and its backup."""
    folder = tmp_path_factory.mktemp("source")
    source = Installation(folder, databases.new("source"))
    source.manage("migrate", "--no-input", "-v", "0")
    checkpoint = source.shell(BUILD)
    archive = folder / "crs-backup.tar.gz"
    created = source.manage("backup_create", "--output", str(archive))
    return {"source": source, "checkpoint": checkpoint, "archive": archive, "output": created}


def test_the_archive_holds_the_database_the_key_and_a_manifest_of_the_latest_checkpoint(backup):
    archive, checkpoint, source = backup["archive"], backup["checkpoint"], backup["source"]

    with tarfile.open(archive) as tar:
        members = {member.name: member for member in tar.getmembers()}
        manifest = json.load(tar.extractfile("manifest.json"))
        key = tar.extractfile("log-signing-key").read()

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert set(members) == {"manifest.json", manifest["database"]["file"], "log-signing-key"}
    assert stat.S_IMODE(members["log-signing-key"].mode) == 0o600
    assert key == source.key_file.read_bytes()
    assert manifest["engine"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["log"]["checkpoint"]["tree_size"] == checkpoint["tree_size"]
    assert manifest["log"]["checkpoint"]["root_hash"] == checkpoint["root_hash"]
    assert manifest["log"]["checkpoint"]["public_key"] == checkpoint["public_key"]
    assert manifest["signing_key"]["public_key"] == checkpoint["public_key"]
    assert manifest["migrations"]["latest"]["operations"] == "0001_process_heartbeat"
    assert f"log at size {checkpoint['tree_size']}" in backup["output"].stdout
    assert "dump" in backup["output"].stderr or "copy" in backup["output"].stderr  # progress was shown


def test_a_restored_log_verifies_and_its_next_checkpoint_extends_the_last_one_before_the_backup(
        backup, databases, tmp_path):
    before = backup["checkpoint"]
    restored = Installation(tmp_path / "restored", databases.new("restored"))

    # when
    result = restored.manage("backup_restore", str(backup["archive"]))

    # then: the log verifies, and the key came back with it, readable by its owner only
    assert f"The restored log ends in the backup's checkpoint: size {before['tree_size']}" in result.stderr
    verified = restored.manage("verify_audit_log")
    assert verified.stdout.startswith(f"OK: {before['tree_size']} event(s) sealed")
    assert restored.key_file.read_bytes() == backup["source"].key_file.read_bytes()
    assert stat.S_IMODE(restored.key_file.stat().st_mode) == 0o600

    # when: the restored installation files more and seals
    after = restored.shell(GO_ON.replace("FIRST", str(before["tree_size"])))

    # then: an outsider holding the checkpoint from before the backup and its pinned key accepts the new one
    public_key = bytes.fromhex(before["public_key"])
    log_vkey = crs_verify.vkey_from_key(before["origin"], public_key)
    _origin, size, root, _cosigned = crs_verify.note_check(after["note"].encode(), log_vkey, [], 0)
    proof = after["proof"]
    assert size > before["tree_size"]
    assert (proof["first"], proof["first_root"], proof["second"]) == (before["tree_size"], before["root_hash"], size)
    assert crs_verify.verify_consistency(before["tree_size"], size, bytes.fromhex(before["root_hash"]), root,
                                         [bytes.fromhex(h) for h in proof["proof"]])
    assert restored.manage("verify_audit_log").stdout.startswith(f"OK: {size} event(s) sealed")


def test_restoring_into_a_database_that_is_not_empty_is_refused(backup):
    source = backup["source"]

    result = source.manage("backup_restore", str(backup["archive"]), check=False)

    assert result.returncode == 1
    assert "is not empty. Restore into a new, empty database, or pass --force" in result.stderr


def test_a_different_key_already_in_place_is_not_overwritten(backup, databases, tmp_path):
    target = Installation(tmp_path / "other", databases.new("otherkey"))
    target.key_file.parent.mkdir(parents=True)
    target.key_file.write_text("A" * 43 + "=\n")  # a valid seed of another log

    result = target.manage("backup_restore", str(backup["archive"]), check=False)

    assert result.returncode == 1
    assert "holds a different signing key than the backup's" in result.stderr
    assert "--replace-key" in result.stderr
    assert target.key_file.read_text() == "A" * 43 + "=\n"
    # Nothing was restored: the database is still empty.
    assert "[X]" not in target.manage("showmigrations", "audit").stdout


def test_a_file_that_is_not_a_backup_is_refused_clearly(databases, tmp_path):
    target = Installation(tmp_path / "t", databases.new("junk"))
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")

    result = target.manage("backup_restore", str(junk), check=False)

    assert result.returncode == 1
    assert f"{junk} is not a CRS backup, or it is truncated" in result.stderr
