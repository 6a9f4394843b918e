import json

from django.core.management.base import BaseCommand, CommandError

from reports.errors import DomainError
from review.rules import load_rules_file
from review.services import ruleset_store
from review.shadow import shadow_run
from review.vocabulary import route_place


class Command(BaseCommand):
    help = "Replay past requests under a candidate rule file and report which routes would change, and why."

    def add_arguments(self, parser):
        parser.add_argument("--rules", required=True, help="Path to the candidate rule file (YAML).")
        parser.add_argument("--json", action="store_true", help="Print the full report as JSON.")
        parser.add_argument("--save", action="store_true",
                            help="Store the rules as a candidate version an administrator can activate.")

    def handle(self, *args, **options):
        try:
            candidate = load_rules_file(options["rules"])
            report = shadow_run(candidate=candidate)
            if options["save"]:
                ruleset_store(data=candidate)
        except DomainError as exc:
            raise CommandError(exc.message + (f" {exc.fields}" if exc.fields else "")) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"Candidate rules {report.candidate_version}: {report.replayed} request(s) replayed, "
                          f"{len(report.changes)} route(s) would change.")
        self.stdout.write(f"{'jurisdiction':<14}{'replayed':>10}{'changed':>10}")
        for code, counts in sorted(report.per_jurisdiction.items()):
            self.stdout.write(f"{code:<14}{counts['replayed']:>10}{counts['changed']:>10}")
        for change in report.changes:
            self.stdout.write(f"  {change.reference} ({change.jurisdiction}): {route_place(change.before)} → "
                              f"{route_place(change.after)}: " + "; ".join(change.why_in_words))
        if options["save"]:
            self.stdout.write("Stored as a candidate; activate it with manage.py workflow_activate.")
