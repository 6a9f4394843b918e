import json

from django.core.management.base import BaseCommand

from classroom.demo import demo_accounts_ensure, login_table


class Command(BaseCommand):
    help = "Create a verified reporter per agency and one account per role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the accounts as JSON.")

    def handle(self, *args, **options):
        accounts = demo_accounts_ensure()
        if options["json"]:
            self.stdout.write(json.dumps(accounts, indent=2))
            return
        for line in login_table(accounts):
            self.stdout.write(line)
