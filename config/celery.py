"""The Celery application: settings come from Django's, under the CELERY_ prefix."""

import os

from celery import Celery

from config.env import ensure_broker_folders

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("crs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_broker_folders(sender, **kwargs):
    # The filesystem broker expects its folders to exist before the first message.
    ensure_broker_folders(sender.conf.broker_transport_options or {})
