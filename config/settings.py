"""Settings for Orchestrated Campaigns, read from the environment (see README, Configuration)."""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, database_url, env, secret_key

TESTING = "pytest" in sys.modules or env.bool("TESTING", default=False)
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = secret_key(debug=DEBUG or TESTING)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",  # login lockout (OC_LOGIN_*); its admin pages are off (AXES_ENABLE_ADMIN)
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
    "guardian",
    "django_q",
    "api",  # API-wide input rules (api/apps.py)
    "accounts",
    "audiences",
    "campaigns",
    "channels",
    "simple_history",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out admin login into the lockout page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url_config(database_url())}
DATABASE_VENDOR = "sqlite" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"
if DATABASE_VENDOR == "sqlite":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory: forked django-q2 workers in real-cluster tests must see the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    DATABASES["default"].setdefault("OPTIONS", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any password check
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "admin:login"
# Login throttling (issue 12 §6, django-axes): the admin login and POST /api/v1/auth/token/ lock a
# username from one client address after OC_LOGIN_FAILURE_LIMIT wrong passwords for
# OC_LOGIN_COOLOFF_MINUTES; a successful login resets the count. Off in tests unless a test turns it on.
OC_LOGIN_LOCKOUT_ENABLED = env.bool("OC_LOGIN_LOCKOUT_ENABLED", default=not TESTING)
OC_LOGIN_FAILURE_LIMIT = env.int("OC_LOGIN_FAILURE_LIMIT", default=5)
OC_LOGIN_COOLOFF_MINUTES = env.int("OC_LOGIN_COOLOFF_MINUTES", default=15)
AXES_ENABLED = OC_LOGIN_LOCKOUT_ENABLED
AXES_FAILURE_LIMIT = OC_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=OC_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False  # unlock with `manage.py axes_reset_username <name>` (accounts/README.md)
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The client address is the connection's: X-Forwarded-For is whatever the client says it is.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
GUARDIAN_MONKEY_PATCH_USER = False
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = True

# --- I18n ------------------------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hant", _("Traditional Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Email -----------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="campaigns@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# ESP tracking webhooks (django-anymail, /t/anymail/<esp>/tracking/): HTTP basic auth "user:password"
# the ESP calls with, and Mailgun's signing key. Unset, those webhooks refuse every request.
ANYMAIL = {
    name: value
    for name, value in {
        "WEBHOOK_SECRET": env.str("OC_ANYMAIL_WEBHOOK_SECRET", default=""),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("OC_ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
    }.items()
    if value
}

# --- Cache (shared across processes: API throttles count in one place) -----------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://oc_cache")}

# --- REST API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "api.filtering.StrictFilterBackend",
        "api.filtering.StrictOrderingFilter",
    ],
    # Bounded JSON (depth, NUL and lone surrogates, body size: api/parsers.py); forms for the browsable API.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # The browsable API leaves out a form it cannot build instead of answering 500 (api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "api.renderers.SafeBrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"trigger": "60/min"},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Orchestrated Campaigns API",
    "DESCRIPTION": "Data model, rules, campaigns, channels and reports. Errors share one JSON shape.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # spectacular's enum hook, minus its merge of different choice sets under one name (api/schema.py)
    "POSTPROCESSING_HOOKS": ["api.schema.postprocess_schema_enums"],
}

# --- Jobs (django-q2) ------------------------------------------------------------------------------
# timeout < retry so a running task is never handed to a second worker; attempts are bounded.
Q_TASK_TIMEOUT = env.int("Q_TASK_TIMEOUT", default=600)
Q_BROKER_URL = env.str("Q_BROKER_URL", default="")
Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="orchestrated-campaigns"),
    "workers": env.int("Q_WORKERS", default=2 if DATABASE_VENDOR == "postgresql" else 1),
    "timeout": Q_TASK_TIMEOUT,
    "retry": Q_TASK_TIMEOUT + 60,
    "max_attempts": 3,
    "ack_failures": True,
    "save_limit": 1000,
    "catch_up": False,
    "queue_limit": 50,
    "label": "Jobs",
    "orm": "default",
    "poll": 0.5,
    # Tests run jobs in-process unless a test starts a real cluster (django_q.conf.Conf is read at import).
    "sync": env.bool("Q_SYNC", default=TESTING),
}
if Q_BROKER_URL.startswith("redis"):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = Q_BROKER_URL

# --- Logging ---------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Security in production ------------------------------------------------------------------------
# Behind a TLS-terminating proxy, SECURE_PROXY_SSL_HEADER names the header it sets (e.g.
# HTTP_X_FORWARDED_PROTO, value "https"); the proxy must overwrite that header on every request.
# The redirect and HSTS are on by default; `manage.py check --deploy` lists what is still off.
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    _proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
    if _proxy_ssl_header:
        SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https")

# --- Product settings ------------------------------------------------------------------------------
OC_PREVIEW_ROWS_MAX = env.int("OC_PREVIEW_ROWS_MAX", default=100)
# Largest request body read into memory (JSON, form fields; uploaded files are not counted): 413 above.
OC_MAX_REQUEST_BYTES = env.int("OC_MAX_REQUEST_BYTES", default=16 * 1024**2)
DATA_UPLOAD_MAX_MEMORY_SIZE = OC_MAX_REQUEST_BYTES
# Channels: the longest a rendered message template may get (characters) before it is refused.
OC_TEMPLATE_MAX_OUTPUT = env.int("OC_TEMPLATE_MAX_OUTPUT", default=1_000_000)
# Channels: the most bytes of strings and lists one template render may build (doublings stop here).
OC_TEMPLATE_MAX_MEMORY = env.int("OC_TEMPLATE_MAX_MEMORY", default=32 * 1024**2)
# Ingestion: the largest file a load accepts, records per JSON batch call, rejected values kept per run.
OC_INGEST_MAX_BYTES = env.int("OC_INGEST_MAX_BYTES", default=2 * 1024**3)
OC_INGEST_JSON_MAX_RECORDS = env.int("OC_INGEST_JSON_MAX_RECORDS", default=10_000)
OC_INGEST_MAX_STORED_REJECTS = env.int("OC_INGEST_MAX_STORED_REJECTS", default=10_000)
# Ingestion: characters of a rejected value kept (a prefix), so a huge bad cell is never stored whole.
OC_INGEST_REJECT_VALUE_CHARS = env.int("OC_INGEST_REJECT_VALUE_CHARS", default=200)
# Hosts channel configurations may connect to (host, *.domain or IP, comma-separated); empty: any.
OC_PROVIDER_HOST_ALLOWLIST = env.list("OC_PROVIDER_HOST_ALLOWLIST", default=[])
# Signed provider callbacks (/t/hooks/, /t/sms/): how far their timestamp may be from now, in seconds.
OC_WEBHOOK_TOLERANCE_SECONDS = env.int("OC_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Lifecycle (issue 7): self-approval, trigger interval floor, schedule catch-up, archive retention.
OC_ALLOW_SELF_APPROVAL = env.bool("OC_ALLOW_SELF_APPROVAL", default=False)
OC_TRIGGER_MIN_INTERVAL_SECONDS = env.int("OC_TRIGGER_MIN_INTERVAL_SECONDS", default=0)
OC_SCHEDULE_CATCH_UP_MINUTES = env.int("OC_SCHEDULE_CATCH_UP_MINUTES", default=10)
OC_ARCHIVE_RETENTION_DAYS = env.int("OC_ARCHIVE_RETENTION_DAYS", default=30)
# Channels demo (issue 6): the local catchers' ports, read by run_catchers, run_platform and demo_channels.
OC_DEMO_SMTP_PORT = env.int("OC_DEMO_SMTP_PORT", default=2525)
OC_DEMO_HTTP_PORT = env.int("OC_DEMO_HTTP_PORT", default=8025)
# Rules (issue 4): interactive count timeout on PostgreSQL, work_mem for counts ("" keeps the server's).
OC_RULE_COUNT_TIMEOUT_MS = env.int("OC_RULE_COUNT_TIMEOUT_MS", default=30_000)
OC_RULE_WORK_MEM = env.str("OC_RULE_WORK_MEM", default="64MB")
# Personal data (issue 12): rule counts per user (DRF rate), proofs per user (DRF rate).
OC_RULE_COUNT_RATE = env.str("OC_RULE_COUNT_RATE", default="120/min")
OC_PROOF_RATE = env.str("OC_PROOF_RATE", default="30/hour")
# Campaign engine (issue 5): working-table retention, task heartbeat, graph size limits.
OC_WORKING_TABLE_RETENTION_DAYS = env.int("OC_WORKING_TABLE_RETENTION_DAYS", default=5)
OC_CAMPAIGN_HEARTBEAT_SECONDS = env.int("OC_CAMPAIGN_HEARTBEAT_SECONDS", default=10)
OC_CAMPAIGN_HEARTBEAT_TIMEOUT = env.int("OC_CAMPAIGN_HEARTBEAT_TIMEOUT", default=120)
OC_CAMPAIGN_MAX_ACTIVITIES = env.int("OC_CAMPAIGN_MAX_ACTIVITIES", default=500)
OC_CAMPAIGN_MAX_CHANNEL_ACTIVITIES = env.int("OC_CAMPAIGN_MAX_CHANNEL_ACTIVITIES", default=10)
OC_CAMPAIGN_FILES_DIR = Path(
    env.str("OC_CAMPAIGN_FILES_DIR", default=str(BASE_DIR / "var" / "campaign-files"))
)
# Delivery (issue 6): parallel senders per delivery, how long a claimed batch is held before recovery.
OC_SENDERS_PER_DELIVERY = env.int("OC_SENDERS_PER_DELIVERY", default=2)
OC_SEND_CLAIM_LEASE_SECONDS = env.int("OC_SEND_CLAIM_LEASE_SECONDS", default=600)
# Commit each "sending" mark before the provider call durably (True) or let PostgreSQL flush it a
# moment later (False: faster; a server crash may forget a mark, see channels/README.md).
OC_SEND_SYNCHRONOUS_COMMIT = env.bool("OC_SEND_SYNCHRONOUS_COMMIT", default=True)
# Most rows one "sending" mark covers at fast rates (about 20 ms of sending; channels/README.md).
OC_SEND_MARK_GROUP = env.int("OC_SEND_MARK_GROUP", default=20)
# Provider connections per sender process, used at once for a group's messages (channels/README.md).
OC_SEND_CONNECTIONS = env.int("OC_SEND_CONNECTIONS", default=2)
