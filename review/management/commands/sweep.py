from django.core.management.base import BaseCommand

from review import services


class Command(BaseCommand):
    help = "Re-enqueue requests stuck in submitted/screening, expire stale claims and flag SLA breaches, once."

    def handle(self, *args, **options):
        swept = services.stuck_requests_sweep()
        expired = services.claims_expire()
        breached = services.sla_watch()
        self.stdout.write(f"Re-enqueued {len(swept)} stuck request(s); released {expired} stale claim(s); "
                          f"flagged {breached} SLA breach(es).")
