from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore an archive written by backup_create into the configured database (which must be empty) and "
            "CRS_LOG_SIGNING_KEY_FILE, then check that the restored log ends in the backup's checkpoint.")

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--force", action="store_true",
                            help="Restore even though the database is not empty, replacing what it holds.")
        parser.add_argument("--replace-key", action="store_true",
                            help="Overwrite a different signing key already in CRS_LOG_SIGNING_KEY_FILE.")

    def handle(self, *args, archive: Path, force: bool, replace_key: bool, verbosity: int, **options):
        def progress(message: str) -> None:
            if verbosity >= 1:
                self.stderr.write(message)

        try:
            manifest = backup_restore(archive_path=archive, force=force, replace_key=replace_key, progress=progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Restored the backup of {manifest['created_at']}. Next: manage.py migrate (if this "
                          "version has newer migrations), then manage.py verify_audit_log.")
