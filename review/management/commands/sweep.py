from django.core.management.base import BaseCommand

from review import dispatch, services


class Command(BaseCommand):
    help = "Re-enqueue requests stuck in submitted/screening, expire stale claims and flag SLA breaches, once."

    def handle(self, *args, **options):
        swept = services.stuck_requests_sweep(queue_depth=dispatch.screening_queue_depth())
        expired = services.claims_expire()
        breached = services.sla_watch()
        self.stdout.write(f"Re-enqueued {len(swept)} stuck request(s); released {expired} stale claim(s); "
                          f"flagged {breached} SLA breach(es).")
