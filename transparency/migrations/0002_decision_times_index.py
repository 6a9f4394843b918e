"""An index of decided requests by agency and submission time, with the decision time, for the medians
of the transparency report (transparency/figures.py): each jurisdiction's median reads only its
agencies' decided requests of the period, without the table."""

from django.db import migrations

INDEX = "request_decision_times"


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("reports", "TakedownRequest")._meta.db_table)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} (exercise_id, agency_id, submitted_at) "
            "INCLUDE (decided_at) WHERE decided_at IS NOT NULL AND submitted_at IS NOT NULL")


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("transparency", "0001_pgcrypto"),
        ("reports", "0006_request_tallies"),
    ]

    operations = [migrations.RunPython(index_create, index_drop, elidable=False)]
