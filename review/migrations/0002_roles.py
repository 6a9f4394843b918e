"""Create the role groups with their permissions.

Reviewer tiers share read access to request data and may decide; auditors read
everything and change nothing; instructors run exercises; platform staff verify
reporter accounts. No group can delete a request, a check result or an audit event.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ_REQUEST_DATA = [
    ("reports", "view_takedownrequest"), ("reports", "view_requestitem"), ("reports", "view_evidence"),
    ("reports", "view_citedprovision"), ("reports", "view_requestmessage"), ("reports", "view_legalprovision"),
    ("reports", "view_jurisdiction"), ("reports", "view_agency"), ("reports", "view_contentitem"),
    ("reports", "view_platformaccount"), ("reports", "view_contentrestriction"),
    ("review", "view_checkresult"), ("review", "view_screeningrun"), ("review", "view_decision"),
    ("review", "view_ruleset"), ("audit", "view_auditevent"),
]
REVIEWER = READ_REQUEST_DATA + [("reports", "review_takedownrequest"), ("review", "add_decision")]

GROUPS = {
    "Reviewers: platform policy": REVIEWER,
    "Reviewers: local law": REVIEWER,
    "Reviewers: human rights": REVIEWER,
    "Reviewers: senior": REVIEWER,
    "Auditors": READ_REQUEST_DATA + [("reports", "view_exercise")],
    "Instructors": READ_REQUEST_DATA + [("reports", "view_exercise"), ("reports", "add_exercise"),
                                        ("reports", "change_exercise"), ("reports", "view_reporteraccount")],
    "Platform staff": [("reports", "view_reporteraccount"), ("reports", "change_reporteraccount"),
                       ("reports", "verify_reporteraccount"), ("reports", "view_agency"),
                       ("reports", "change_agency"), ("reports", "view_jurisdiction"), ("audit", "view_auditevent")],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; this migration needs them now.
    for app_label in ("reports", "review", "audit"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [Permission.objects.get(content_type__app_label=app, codename=codename)
                       for app, codename in codes]
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reports", "0001_initial"),
        ("review", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
