from django.core.management.base import BaseCommand

from audit.log import log_seal_all, tree_size


class Command(BaseCommand):
    help = "Seal pending audit events into the transparency log now and sign a checkpoint."

    def handle(self, *args, **options):
        before = tree_size()
        checkpoint = log_seal_all()
        if checkpoint is None:
            self.stdout.write(f"Nothing to seal; the log has {before} event(s).")
        else:
            self.stdout.write(f"Sealed {checkpoint.tree_size - before} event(s); the log has {checkpoint.tree_size}, "
                              f"root {bytes(checkpoint.root_hash).hex()}.")
