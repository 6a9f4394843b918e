"""Recount the transparency counts kept on request rows from the items and decisions; report and mend differences.

    python manage.py figures_check            # report the requests whose kept counts are wrong (exit 1 if any)
    python manage.py figures_check --rebuild  # and write the recounted values
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max, Min

from reports.models import TakedownRequest
from review.services.tallies import request_tallies_rebuild
from review.tallies import TALLIES, requests_with_wrong_tallies

BATCH_REQUESTS = 20_000
SHOWN_DIFFERENCES = 20
BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Check the transparency counts kept on request rows against a recount, and optionally rebuild them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="Write the recounted values where they differ.")
        parser.add_argument("--batch", type=int, default=BATCH_REQUESTS, help="Requests per batch (by id range).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args, rebuild: bool, batch: int, no_progress: bool, **options) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        bounds = TakedownRequest.objects.aggregate(first=Min("id"), last=Max("id"))
        wrong = mended = 0
        if bounds["first"] is not None:
            first, last = bounds["first"], bounds["last"]
            for start in range(first, last + 1, batch):
                # Each batch is checked and mended in its own transaction, under a lock on its rows,
                # so that a decision committed meanwhile is neither missed nor overwritten.
                with transaction.atomic():
                    ids = list(TakedownRequest.objects.select_for_update()
                               .filter(id__gte=start, id__lt=start + batch).order_by("id").values_list("id", flat=True))
                    differing = list(requests_with_wrong_tallies(TakedownRequest.objects.filter(id__in=ids))
                                     .order_by("id").values("id", "reference", "item_count", "recounted_item_count",
                                                            *(f"kept_{t}" for t in TALLIES),
                                                            *(f"recounted_{t}" for t in TALLIES)))
                    for row in differing:
                        if wrong < SHOWN_DIFFERENCES:
                            self.stdout.write(self._difference(row))
                        wrong += 1
                    if rebuild and differing:
                        mended += request_tallies_rebuild(
                            requests=TakedownRequest.objects.filter(id__in=[row["id"] for row in differing]))
                if not no_progress:
                    self._progress(min(start + batch - 1, last) - first + 1, last - first + 1)
            if not no_progress:
                sys.stderr.write("\n")
        if wrong > SHOWN_DIFFERENCES:
            self.stdout.write(f"... and {wrong - SHOWN_DIFFERENCES} more.")
        if rebuild:
            self.stdout.write(f"{wrong} request(s) had wrong counts; {mended} rebuilt.")
        elif wrong:
            raise CommandError(f"{wrong} request(s) have counts that differ from a recount; run with --rebuild.")
        else:
            self.stdout.write("Every request's kept counts match a recount.")

    @staticmethod
    def _difference(row: dict) -> str:
        kept = [f"items {row['item_count']}", *(f"{t} {row[f'kept_{t}']}" for t in TALLIES)]
        recounted = [f"items {row['recounted_item_count']}", *(f"{t} {row[f'recounted_{t}']}" for t in TALLIES)]
        return f"{row['reference']}: kept {', '.join(kept)}; recounted {', '.join(recounted)}"

    @staticmethod
    def _progress(done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:,}/{total:,} request ids")
        sys.stderr.flush()
