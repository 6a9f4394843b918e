"""pgcrypto, for the pseudonyms the database computes when it writes an export (transparency/database_exports.py)."""

from django.db import migrations


def pgcrypto_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")


class Migration(migrations.Migration):
    # Left installed when migrating back: other users of the database may rely on it.
    operations = [migrations.RunPython(pgcrypto_create, migrations.RunPython.noop, elidable=False)]
