"""The role groups, which this migration once created with a copy of their permissions.

They are made by ``reports.roles.ensure_role_groups`` after every ``migrate`` (review/apps.py),
from the one table of roles in reports/roles.py, so that table is never copied. This migration
stays, empty, for the migration history of databases that applied it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reports", "0001_initial"),
        ("review", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = []
