from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from filing.services import request_file
from filing.simulation import synthetic_requests
from reports.errors import DomainError
from reports.models import SubmissionMethod


class Command(BaseCommand):
    help = "File realistic synthetic requests from the scenario's agencies through the filing service."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=50, help="How many requests to file.")
        parser.add_argument("--jurisdiction", help="Only agencies of this jurisdiction (ISO code).")
        parser.add_argument("--seed", type=int, default=2021, help="Random seed, for a reproducible run.")

    def handle(self, *args, **options):
        if options["requests"] < 1:
            raise CommandError("--requests must be at least 1.")
        try:
            generated = synthetic_requests(count=options["requests"], jurisdiction=options["jurisdiction"],
                                           seed=options["seed"])
            filed = refused = 0
            for reporter, data in tqdm(generated, total=options["requests"], unit="request",
                                       disable=options["verbosity"] == 0, file=self.stderr._out):
                try:
                    request_file(reporter=reporter, data=data, method=SubmissionMethod.API)
                    filed += 1
                except DomainError as exc:
                    refused += 1
                    self.stderr.write(f"refused: {exc.message} {exc.fields}")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Filed {filed} request(s); {refused} refused. Screening runs on the Celery workers.")
