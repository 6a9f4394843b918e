from django.apps import AppConfig
from django.db.models.signals import post_migrate


def install_defaults(sender, **kwargs) -> None:
    """The role groups and the bundled rules, active, in a migrated database (``manage.py migrate``).

    Run once this app is migrated: the groups' permissions are the record's, the audit trail's and
    review's, and Django creates each app's permissions as that app is migrated.
    """
    # Imported here for start-up order: apps.py is read before any model can be imported.
    from reports.roles import ensure_role_groups
    from review.services import ruleset_default_install

    ensure_role_groups()
    ruleset_default_install()


class ReviewConfig(AppConfig):
    default = True
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        post_migrate.connect(install_defaults, sender=self)
