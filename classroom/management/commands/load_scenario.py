from django.core.management.base import BaseCommand, CommandError

from classroom.scenarios import ScenarioError, available_scenarios, load_scenario
from reports.models import Exercise


class Command(BaseCommand):
    help = "Load a scenario (a name such as kazakhstan-2021, or a path to a YAML file). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("scenario", help=f"One of: {', '.join(available_scenarios())}; or a file path.")
        parser.add_argument("--exercise", help="Slug of the exercise to load into (default: the default exercise).")

    def handle(self, *args, **options):
        exercise = None
        if options["exercise"]:
            exercise = Exercise.objects.filter(slug=options["exercise"]).first()
            if exercise is None:
                raise CommandError(f"No exercise with slug {options['exercise']!r}.")
        try:
            report = load_scenario(options["scenario"], exercise=exercise)
        except ScenarioError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(report.summary())
