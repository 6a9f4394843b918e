"""Test settings: the real settings, with a throw-away data folder and fast password hashing.

DATABASE_URL and REDIS_URL are honoured exactly as in production, so CI runs the
suite against the real PostgreSQL and Redis.
"""

import os
import tempfile

_data_dir = tempfile.mkdtemp(prefix="crs-test-")
_own_folder = {"CRS_DATA_DIR": _data_dir, "CRS_LOG_SIGNING_KEY_FILE": os.path.join(_data_dir, "log-signing-key")}
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Each parallel test process has its own folder (the filesystem broker lives there), whatever
    # the process that started them chose.
    os.environ.update(_own_folder)
else:
    for _name, _value in _own_folder.items():
        os.environ.setdefault(_name, _value)

from config.settings import *  # noqa: E402,F403
from config.settings import REST_FRAMEWORK  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Throttling has its own tests with their own rates; elsewhere it would only add noise.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "100000/min"}}
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "polling_interval": 0.05}  # noqa: F405
CELERY_BEAT_SCHEDULE = {}
# The in-process test workers would write heartbeats into the test database from their timer thread.
CRS_WORKER_HEARTBEAT_S = 0
# The in-process test worker is a thread: a connection it kept between tasks would still be open when
# the test database is dropped at the end of the run. It closes its connections after each task.
CELERY_DB_REUSE_MAX = None
# Under pytest-xdist every test process has its own test database, so it needs its own queue as well.
if os.environ.get("PYTEST_XDIST_WORKER"):
    CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-{os.environ['PYTEST_XDIST_WORKER']}"  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not the shared-cache in-memory database: the worker thread writes concurrently.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_data_dir, "test.sqlite3")}  # noqa: F405

# Per test process: lockout counts and cached figures must not leak between test runs through Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
