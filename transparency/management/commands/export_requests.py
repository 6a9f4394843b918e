"""Export the request log to a file, as the auditors' API does, with a progress bar.

    manage.py export_requests --format ndjson --jurisdiction KZ --submitted-after 2021-07-01 --output kz.ndjson
    manage.py export_requests --format dsa-sor-csv --output statements.csv

Reporters and affected users are pseudonymised unless --personal-data is given (the DSA and
Lumen formats never carry personal data). A DSA export ends with its report: the statements
written and each decision it could not express, with the reason. The export is recorded in the
audit trail like any other.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audit import events
from audit.models import ExportFormat
from reports.errors import InvalidInput
from reports.models import Exercise
from reports.tenancy import exercise_default
from transparency import exports
from transparency.dsa import StatementReport
from transparency.filters import FILTER_NAMES, active_filters


class Command(BaseCommand):
    help = ("Export the request log (CSV or NDJSON, DSA statements of reasons, Lumen notices: docs/exports.md) "
            "with the API's filters.")

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=ExportFormat.values, default=ExportFormat.CSV)
        parser.add_argument("--output", required=True, help="File to write, or - for standard output.")
        parser.add_argument("--exercise", help="Exercise slug (default: the default exercise).")
        parser.add_argument("--personal-data", action="store_true",
                            help="Include submitters' usernames and authors' handles.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show the progress bar.")
        for name in FILTER_NAMES:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="VALUE",
                                help="As the API's filter of the same name.")

    def handle(self, *args, **options):
        exercise = self._exercise(options["exercise"])
        filters = {name: options[name] for name in FILTER_NAMES if options.get(name)}
        try:
            queryset = exports.filtered_requests(exercise=exercise, filters=filters)
        except InvalidInput as exc:
            problems = "; ".join(f"--{name.replace('_', '-')}: {' '.join(messages)}"
                                 for name, messages in exc.fields.items())
            raise CommandError(f"Invalid filter: {problems}") from None
        fmt = options["format"]
        personal = options["personal_data"] and fmt not in exports.INTEROP_FORMATS
        total = queryset.count()
        events.export_created_event(actor=None, kind=exports.export_kind(fmt, personal=personal),
                                    filters=active_filters(filters), rows=total, exercise=exercise)

        to_stdout = options["output"] == "-"
        out = sys.stdout.buffer if to_stdout else open(options["output"], "wb")  # noqa: SIM115 (closed below)
        bar = tqdm(total=total, unit="rows", disable=options["no_progress"], file=sys.stderr)
        done = 0

        def progress(rows: int) -> None:
            nonlocal done
            bar.update(rows - done)
            done = rows

        report = StatementReport() if fmt in exports.DSA_FORMATS else None
        try:
            rows, size, sha256 = exports.export_write(queryset, fmt, personal=personal, out=out, progress=progress,
                                                      report=report)
        finally:
            bar.close()
            if not to_stdout:
                out.close()
        self.stderr.write(f"Exported {rows} requests ({size} bytes, SHA-256 {sha256}) to {options['output']}.")
        if report is not None:
            self.stderr.write(report.summary())
            for skipped in report.listed:
                detail = f" ({skipped['detail']})" if skipped.get("detail") else ""
                self.stderr.write(f"  not expressible: {skipped['reference']} item {skipped['item']} "
                                  f"({skipped['action']}): {skipped['reason']}{detail}")
            if report.not_expressible > len(report.listed):
                self.stderr.write(f"  ... and {report.not_expressible - len(report.listed)} more.")

    def _exercise(self, slug: str | None) -> Exercise:
        if not slug:
            return exercise_default()
        exercise = Exercise.objects.filter(slug=slug).first()
        if exercise is None:
            raise CommandError(f"No exercise with slug {slug!r}.")
        return exercise
