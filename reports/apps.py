from django.apps import AppConfig
from django.db.models.signals import post_migrate


def install_defaults(sender, **kwargs) -> None:
    """What a migrated database always holds: the default exercise (run by ``manage.py migrate``, never by a reader)."""
    # Imported here for start-up order: apps.py is read before any model can be imported.
    from reports.tenancy import exercise_default_install

    exercise_default_install()


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Takedown requests"

    def ready(self) -> None:
        # Imported here for start-up order, and for its side effect: it connects the log-in failure counters.
        from reports import lockout  # noqa: F401

        post_migrate.connect(install_defaults, sender=self)
