"""On PostgreSQL, the transparency log's tables refuse UPDATE and DELETE like the events do."""

from django.db import migrations

TABLES = ("audit_logentry", "audit_treenode", "audit_checkpoint")


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                              f"FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();")


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_transparency_log")]

    operations = [migrations.RunPython(install, uninstall)]
