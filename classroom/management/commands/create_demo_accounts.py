import json

from django.core.management.base import BaseCommand

from classroom.demo import demo_accounts_ensure


class Command(BaseCommand):
    help = "Create a verified reporter per agency and one account per role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the accounts as JSON.")

    def handle(self, *args, **options):
        accounts = demo_accounts_ensure()
        if options["json"]:
            self.stdout.write(json.dumps(accounts, indent=2))
            return
        width = max(len(a["username"]) for a in accounts)
        for account in accounts:
            where = f"  ({account['agency']}, {account['jurisdiction']})" if account["agency"] else ""
            self.stdout.write(f"{account['role']:<22} {account['username']:<{width}}  {account['password']}{where}")
