from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_create


class Command(BaseCommand):
    help = ("Back up the database and the transparency log's signing key into one archive (tar.gz, readable by "
            "its owner only), with a manifest naming the latest signed checkpoint. See docs/operations.md.")

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, help="The archive to write (a new file).")

    def handle(self, *args, output: Path, verbosity: int, **options):
        def progress(message: str) -> None:
            if verbosity >= 1:
                self.stderr.write(message)

        try:
            manifest = backup_create(output=output, progress=progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        checkpoint = manifest["log"]["checkpoint"]
        self.stdout.write(f"Backed up to {output}: {manifest['engine']} database, "
                          + (f"log at size {checkpoint['tree_size']} (root {checkpoint['root_hash']})"
                             if checkpoint else "no checkpoint yet")
                          + (", with the signing key." if manifest["signing_key"] else ", no signing key yet."))
        self.stdout.write("Keep it where the database is not: it holds the log's private key.")
