"""Platform staff no longer read the audit events.

They verify reporter accounts and manage agencies; the events carry the content of
requests, which platform staff have no reason to read (they cannot open the requests
themselves). Their own verifications stay in the record, read by auditors.
"""

from django.db import migrations

STAFF_GROUP = "Platform staff"


def _change_staff_permission(apps, change: str) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(content_type__app_label="audit", codename="view_auditevent").first()
    if permission is None:
        return
    for group in Group.objects.filter(name=STAFF_GROUP):
        getattr(group.permissions, change)(permission)


def revoke(apps, schema_editor):
    _change_staff_permission(apps, "remove")


def restore(apps, schema_editor):
    _change_staff_permission(apps, "add")


class Migration(migrations.Migration):
    dependencies = [("review", "0002_roles")]

    operations = [migrations.RunPython(revoke, restore)]
