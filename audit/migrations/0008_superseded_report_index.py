"""Drop ``audit_transparency_request``: ``request_transparency_tallies`` (reports 0006) has the same key and
holds every column it held, so every scan the report or an export made of the first can be made of the
second. Each new request and each change of its indexed columns wrote both: a 160 MB index at a million
requests, maintained for nothing."""

from django.db import migrations

NAME = "audit_transparency_request"
DEFINITION = ("(exercise_id, submitted_at) INCLUDE (id, agency_id, category, requested_action, decided_at, "
              "review_round, court_name, court_case_number)")


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("reports", "TakedownRequest")._meta.db_table)
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON {table} {DEFINITION}")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_export_interop_formats_and_report"),
        ("reports", "0006_request_tallies"),
    ]

    operations = [migrations.RunPython(index_drop, index_create, elidable=False)]
