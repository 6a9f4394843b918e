from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OperationsConfig(AppConfig):
    default = True
    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Connects the worker's start-up signals (heartbeat, start-up sweep); read once the models are.
        from operations import signals  # noqa: F401


class InstallationAdminConfig(admin_apps.AdminConfig):
    """Django's admin: the review queues on its index, and the installation's readiness for administrators."""

    default = False  # named explicitly in INSTALLED_APPS; the operations app itself is OperationsConfig
    default_site = "operations.admin_site.InstallationAdminSite"
