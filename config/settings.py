"""Settings for CRS Simulator, read from the environment (12-factor).

With nothing set, the product runs on SQLite and a filesystem Celery broker in the
project folder, so a newcomer needs nothing but Python. ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and Redis. ``DJANGO_DEBUG=0`` turns on the
production hardening, and then a real ``DJANGO_SECRET_KEY`` is required.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab  # noqa: F401  (documented alternative for beat entries)
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    broker_from_env,
    cache_from_env,
    database_from_env,
    ensure_broker_folders,
    env_bool,
    env_int,
    env_list,
    env_str,
    folder_prepare,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime files (queue folders, private uploads, exports, beat schedule); git ignores var/.
# Made here, with a clear error when it cannot be: every process reads the settings first.
DATA_DIR = folder_prepare(Path(env_str("CRS_DATA_DIR", str(BASE_DIR / "var"))), setting="CRS_DATA_DIR")

DEBUG = env_bool("DJANGO_DEBUG", True)

DEV_SECRET_KEY = "insecure-development-key-only-for-local-runs-change-me"  # noqa: S105 (refused when DEBUG=0)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY: a random string of at least 50 characters.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_DEBUG=0 needs DJANGO_ALLOWED_HOSTS, e.g. crs.example.org.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("CRS_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "operations.apps.InstallationAdminConfig",  # django.contrib.admin: review queues and readiness on its index
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "reports",
    "audit",
    "review",
    "filing",
    "transparency",
    "feed",
    "portal",
    "classroom",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.MethodNotAllowedPage",
    "portal.middleware.RefusedActionPage",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.current_exercise",
            ],
        },
    },
]

DATABASES = {"default": database_from_env(BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Locks a username after repeated failed log-ins (reports/lockout.py). The per-address limit is
# high because a whole class often shares one address; a proxy's own address is never counted.
AUTHENTICATION_BACKENDS = ["reports.auth.LockoutBackend"]
LOGIN_FAILURES_PER_USERNAME = env_int("CRS_LOGIN_FAILURES_PER_USERNAME", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("CRS_LOGIN_FAILURES_PER_ADDRESS", 100)
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The portal's way of writing dates, in the admin too (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    # Evidence files are never served by the web server directly: a view checks who asks.
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "evidence"), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "landing"

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "crs@platform.example")

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "reports.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.openapi.CRSAutoSchema",
    "EXCEPTION_HANDLER": "reports.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "reports.throttling.CountingAnonRateThrottle",
        "reports.throttling.CountingUserRateThrottle",
    ],
    # One limit for every account: no government gets a faster lane.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("CRS_API_RATE_ANON", "60/min"),
        "user": env_str("CRS_API_RATE_USER", "1200/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRS Simulator API",
    "DESCRIPTION": (
        "One channel for every government. Reporters file and follow takedown requests; "
        "auditors read the request log, the audit trail and its proofs."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: the docs work offline and under the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" or "kind" field; name each choice set after its meaning.
    "ENUM_NAME_OVERRIDES": {
        "RequestStatusEnum": "reports.models.Status",
        "ExportStatusEnum": "audit.models.ExportStatus",
        "EvidenceKindEnum": "reports.models.EvidenceKind",
        "MessageKindEnum": "reports.models.MessageKind",
    },
}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = broker_from_env(DATA_DIR)
# The filesystem broker writes each message whole before a worker can see it (config/broker.py).
CELERY_BROKER_TRANSPORT = "config.broker:FilesystemTransport" if CELERY_BROKER_URL.startswith("filesystem:") else None
ensure_broker_folders(CELERY_BROKER_TRANSPORT_OPTIONS)

# Shared by every web process when Redis is there (login lockout counts, cached public figures),
# in a Redis database of its own: clearing the cache never touches the task queue.
CACHES = {"default": cache_from_env(CELERY_BROKER_URL)}
# Installations sharing one Redis keep their work apart by queue name.
CELERY_TASK_DEFAULT_QUEUE = env_str("CRS_TASK_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task (SIGKILL, OOM) leaves its task unacknowledged: deliver it again.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless told to
# reuse them: a connection per task cost each screening task a connect, a new PostgreSQL backend and
# its cold catalog caches. Kept for this many tasks; config/celery.py still closes, after each task,
# a connection that broke or outlived CONN_MAX_AGE, as Django does after each web request.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT_S", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT_S", 240)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Filing must not hang when the broker is down: the sweeper re-enqueues what was not sent.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Beat's own scheduler, which records that it runs (the readiness check reads it) and makes its file's folder.
CELERY_BEAT_SCHEDULER = "operations.beat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE = {
    "log-seal-all": {"task": "audit.tasks.log_seal_all", "schedule": timedelta(seconds=5)},
    # Catches up witnesses that missed a checkpoint (down, or answered late).
    "checkpoints-witness": {"task": "audit.tasks.checkpoints_witness", "schedule": timedelta(seconds=60)},
    "feed-deliveries-create": {"task": "feed.tasks.deliveries_create", "schedule": timedelta(seconds=5)},
    "feed-deliveries-sweep": {"task": "feed.tasks.deliveries_sweep", "schedule": timedelta(seconds=60)},
    "sla-watch": {"task": "review.tasks.sla_watch", "schedule": timedelta(seconds=60)},
    # Often: a worker killed mid-screening leaves requests that this finds (review/services/screening.py).
    # It runs a few seconds after beat's tick, when the tasks sent in the same tick (sealing, the feed) have
    # been taken from the queue: counted as work ahead, they made a filing whose message was lost (a broker
    # outage) wait CRS_SWEEP_AFTER instead of CRS_SCREENING_STALE.
    "stuck-requests-sweep": {"task": "review.tasks.stuck_requests_sweep", "schedule": timedelta(seconds=10),
                             "options": {"countdown": 3}},
    "claims-expire": {"task": "review.tasks.claims_expire", "schedule": timedelta(seconds=60)},
    "decided-requests-close": {"task": "review.tasks.decided_requests_close", "schedule": timedelta(hours=1)},
}

# --- Workflow -------------------------------------------------------------------------
# A request still submitted this long after its last change is re-enqueued (its message was lost).
CRS_SWEEP_AFTER = timedelta(seconds=env_int("CRS_SWEEP_AFTER_S", 120))
# A request idle this long in screening (or submitted while the queue is empty) was left by a dead worker.
CRS_SCREENING_STALE = timedelta(seconds=env_int("CRS_SCREENING_STALE_S", 20))
# /readyz answers 503 when an audit event has waited longer than this to be sealed (the log stopped).
CRS_READY_MAX_SEAL_LAG = timedelta(seconds=env_int("CRS_READY_MAX_SEAL_LAG_S", 60))
# Seconds between a worker's reports that it runs (operations/signals.py); 0 turns them off.
CRS_WORKER_HEARTBEAT_S = env_int("CRS_WORKER_HEARTBEAT_S", 5)
# A worker or beat counts as stopped when it has not reported for this long (each reports every 5 s).
CRS_READY_PROCESS_STALE = timedelta(seconds=env_int("CRS_READY_PROCESS_STALE_S", 20))
# Single filings arriving within this many milliseconds of each other are screened as one batch.
# Only where the cache is shared (Redis): the mark that a claim is pending must be seen by every process.
CRS_SCREENING_GATHER_MS = env_int("CRS_SCREENING_GATHER_MS",
                                  0 if CACHES["default"]["BACKEND"].endswith("LocMemCache") else 100)
# A reviewer's claim lapses after this long without a decision.
CRS_CLAIM_TTL = timedelta(minutes=env_int("CRS_CLAIM_TTL_MIN", 60))

# --- Transparency log -----------------------------------------------------------------
# Ed25519 signing key for checkpoints: base64 of the 32-byte seed, or a file holding it.
# The embedded default creates the file on first use, outside the repository.
CRS_LOG_SIGNING_KEY = env_str("CRS_LOG_SIGNING_KEY", "")
# The log's name (c2sp.org/tlog-checkpoint origin, also its key name): verifiers pin it with the
# key. A schema-less URL: by default the site's first public host and the path the log is served at.
_public_hosts = [h.lstrip(".") for h in ALLOWED_HOSTS if h not in ("*", "localhost", "127.0.0.1", "[::1]")]
CRS_LOG_ORIGIN = env_str("CRS_LOG_ORIGIN", f"{(_public_hosts or ['localhost'])[0]}/log")
if not CRS_LOG_ORIGIN or any(c.isspace() or c == "+" for c in CRS_LOG_ORIGIN):
    raise ImproperlyConfigured(f"CRS_LOG_ORIGIN must be a name without spaces or '+', e.g. crs.example.org/log, "
                               f"not {CRS_LOG_ORIGIN!r}.")


def _witnesses(raw: str) -> list[dict]:
    """CRS_LOG_WITNESSES: entries separated by ';' or newlines, each '<witness vkey> <add-checkpoint URL prefix>'."""
    witnesses = []
    for entry in filter(None, (part.strip() for part in raw.replace("\n", ";").split(";"))):
        fields = entry.split()
        if len(fields) != 2 or fields[0].count("+") < 2 or not fields[1].startswith(("http://", "https://")):
            raise ImproperlyConfigured(f"CRS_LOG_WITNESSES: {entry!r} is not '<witness vkey> <http(s) URL>'.")
        witnesses.append({"name": fields[0].split("+")[0], "vkey": fields[0], "url": fields[1].rstrip("/")})
    if len({w["name"] for w in witnesses}) != len(witnesses):
        raise ImproperlyConfigured("CRS_LOG_WITNESSES names one witness twice.")
    return witnesses


# Independent witnesses the log submits each new checkpoint to (c2sp.org/tlog-witness v1.0.0).
CRS_LOG_WITNESSES = _witnesses(env_str("CRS_LOG_WITNESSES", ""))
# How many witness cosignatures a checkpoint needs before receipts cite it.
CRS_LOG_WITNESS_QUORUM = env_int("CRS_LOG_WITNESS_QUORUM", 0)
if not 0 <= CRS_LOG_WITNESS_QUORUM <= len(CRS_LOG_WITNESSES):
    raise ImproperlyConfigured(f"CRS_LOG_WITNESS_QUORUM={CRS_LOG_WITNESS_QUORUM} needs as many witnesses in "
                               f"CRS_LOG_WITNESSES (there are {len(CRS_LOG_WITNESSES)}).")
# Seconds the log waits for a witness's answer before trying again later.
CRS_LOG_WITNESS_TIMEOUT_S = env_int("CRS_LOG_WITNESS_TIMEOUT_S", 10)
# Events sealed per sequencer transaction (one checkpoint each).
CRS_LOG_BATCH = env_int("CRS_LOG_BATCH", 5000)
# Webhooks (feed/): the first retry's delay, doubled per attempt up to the cap; attempts before giving up.
CRS_WEBHOOK_BACKOFF_MS = env_int("CRS_WEBHOOK_BACKOFF_MS", 30_000)
CRS_WEBHOOK_BACKOFF_MAX_S = env_int("CRS_WEBHOOK_BACKOFF_MAX_S", 6 * 60 * 60)
CRS_WEBHOOK_MAX_ATTEMPTS = env_int("CRS_WEBHOOK_MAX_ATTEMPTS", 12)
CRS_WEBHOOK_TIMEOUT_S = env_int("CRS_WEBHOOK_TIMEOUT_S", 10)
CRS_LOG_SIGNING_KEY_FILE = Path(
    env_str("CRS_LOG_SIGNING_KEY_FILE", str(Path.home() / ".local" / "share" / "crs-simulator" / "log-signing-key"))
)

# --- Metrics and backups ---------------------------------------------------------------
# The bearer token Prometheus sends to /metrics; unset, the endpoint is off (docs/operations.md).
CRS_METRICS_TOKEN = env_str("CRS_METRICS_TOKEN", "")

# --- Content Security Policy (django-csp 4) -------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Security -------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache and written through to the database: a page no longer reads
# its session row. Logging out deletes both; the user is still read (and checked) on every request.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Served over HTTPS: the default whenever debug is off. A seminar on a room's own network
# (scripts/run --class) serves plain HTTP and says DJANGO_HTTPS=0, or no student could log in.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
