from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Connects the worker's start-up signals (heartbeat, start-up sweep); read once the models are.
        from operations import signals  # noqa: F401
