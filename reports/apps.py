from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Takedown requests"

    def ready(self) -> None:
        from reports import lockout  # noqa: F401  (connects the log-in failure counters)
