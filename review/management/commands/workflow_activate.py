from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reports.errors import DomainError
from review.models import RuleSet
from review.rules import load_rules_file
from review.services import ruleset_activate, ruleset_store


class Command(BaseCommand):
    help = "Activate a rule version for all future screenings (an audited act of an administrator)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--rules-version", dest="rules_version",
                            help="A stored rule version (see the admin's rule sets).")
        target.add_argument("--rules", help="A rule file to store and activate.")
        parser.add_argument("--by", required=True, help="Username of the administrator activating it.")

    def handle(self, *args, **options):
        actor = get_user_model().objects.filter(username=options["by"], is_superuser=True).first()
        if actor is None:
            raise CommandError(f"{options['by']!r} is not an administrator (superuser).")
        try:
            if options["rules"]:
                ruleset = ruleset_store(data=load_rules_file(options["rules"]))
            else:
                ruleset = RuleSet.objects.filter(version=options["rules_version"]).first()
                if ruleset is None:
                    raise CommandError(f"No stored rule version {options['version']!r}.")
            ruleset = ruleset_activate(ruleset=ruleset, actor=actor)
        except DomainError as exc:
            raise CommandError(exc.message + (f" {exc.fields}" if exc.fields else "")) from None
        self.stdout.write(f"Rules {ruleset.version} are active (activated by {actor.username}).")
