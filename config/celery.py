"""The Celery application: settings come from Django's, under the CELERY_ prefix.

The filesystem broker's folders are made by the settings themselves, which every process reads first.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("crs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
