from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audit.log import log_verify
from audit.models import LogEntry


class Command(BaseCommand):
    help = "Re-compute every leaf, the Merkle tree and every checkpoint signature; name the first bad leaf."

    def handle(self, *args, **options):
        total = LogEntry.objects.count()
        with tqdm(total=total, unit="event", disable=options["verbosity"] == 0, file=self.stderr._out) as bar:
            result = log_verify(progress=bar.update)
        if result.ok:
            self.stdout.write(f"OK: {result.events} event(s) sealed, {result.checkpoints_checked} checkpoint(s) "
                              f"verified, {result.pending} pending.")
            return
        for problem in result.problems[:20]:
            self.stderr.write(problem)
        broken = result.first_broken
        raise CommandError(f"The audit log does not verify. First bad leaf: {broken['leaf_index']}"
                           + (f" (event {broken['event_id']})" if broken.get("event_id") else "")
                           + f": {broken['reason']}")
