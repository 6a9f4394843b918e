"""The Celery application: settings come from Django's, under the CELERY_ prefix.

The filesystem broker's folders are made by the settings themselves, which every process reads first.
"""

import os

from celery import Celery
from celery.signals import task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("crs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_postrun.connect
def _old_connections_close(**_kwargs) -> None:
    """After each task, as after each web request: close a database connection that broke or is too old.

    Connections are otherwise kept between tasks (CELERY_DB_REUSE_MAX in the settings).
    """
    from django.db import close_old_connections

    close_old_connections()
