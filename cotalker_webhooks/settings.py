"""Settings for Cotalker Webhooks, read from environment variables.

Every variable is listed, with its default, in `.env.example`.
"""

import base64
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from cotalker_webhooks.env import env_bool, env_float, env_int, env_list, env_str

# Django's generic classes (ModelAdmin[Company], ...) accept the type arguments mypy reads.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

APP_ENV = env_str("APP_ENV", "development")
if APP_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"APP_ENV must be 'development' or 'production', not {APP_ENV!r}")
PRODUCTION = APP_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env_str("SECRET_KEY")
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when APP_ENV=production")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY must be set to 50+ random characters in production")
elif not SECRET_KEY:
    # Development only: a fixed, clearly marked key so sessions survive restarts.
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set in production: the host names this site answers to, comma-separated"
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# HTTPS. Production defaults are the safe ones; each can be turned off from the environment
# (e.g. SECURE_SSL_REDIRECT=false when a proxy already redirects, or for a local HTTP check).
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
# Load balancers probe /healthz over plain HTTP: answer them instead of redirecting.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)


def _proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """`X-Forwarded-Proto,https` (or Django's `HTTP_X_FORWARDED_PROTO,https`) → the META tuple."""
    if not raw.strip():
        return None
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must be 'Header-Name,value' (e.g. X-Forwarded-Proto,https), not {raw!r}"
        )
    header, value = parts
    header = header.upper().replace("-", "_")
    if not header.startswith("HTTP_"):
        header = f"HTTP_{header}"
    return header, value


# Only set this behind a proxy that sets the header itself (and strips it from clients' requests).
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(env_str("SECURE_PROXY_SSL_HEADER"))
# Without HSTS preload the site cannot join browsers' preload list; that is a choice, not a flaw.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "events",
    # Before django_q: its `qcluster` command is webhooks' (which stops on SIGTERM to the group).
    "webhooks",
    "django_q",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "webhooks.api.middleware.ApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "webhooks.panel.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "webhooks.panel.middleware.ContentSecurityPolicyMiddleware",
    "webhooks.panel.timezones.TimeZoneMiddleware",
]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

ROOT_URLCONF = "cotalker_webhooks.urls"

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

WSGI_APPLICATION = "cotalker_webhooks.wsgi.application"

_SQLITE_DEFAULT = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
# The delivery engine's database threads prepare their statements on PostgreSQL (see below).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", default=True)
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _SQLITE_DEFAULT) or _SQLITE_DEFAULT)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions let the web process and qcluster workers
    # share one SQLite file without "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so that end-to-end tests can share it with a qcluster process.
    # One file per test run, so parallel runs on one machine do not share it.
    _test_db = Path(tempfile.gettempdir()) / f"cotalker_webhooks_test_{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": env_str("SQLITE_TEST_NAME", str(_test_db))}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    # A persistent connection is checked before a request (or a task) reuses it, so that after
    # a database restart no request pays for a connection the server has closed (a 500).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", default=True)
    # Server-side parameters, so that the delivery engine's database threads can prepare the few
    # statements they run for every attempt: planning them anew cost PostgreSQL about as much as
    # running them (webhooks.engine.dispatcher, docs/performance.md). Only those threads prepare:
    # a web request's plan depends on its parameters (a small company's filtered Logs planned for
    # a large one's took 266 ms instead of 17). Off behind a transaction-pooling PgBouncer older
    # than 1.21 (docs/production.md).
    if DATABASE_PREPARED_STATEMENTS:
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "events.User"
# Sign-in throttling (webhooks.panel.signin): failed sign-ins per account per 15 minutes.
AUTHENTICATION_BACKENDS = ["webhooks.panel.signin.ThrottledModelBackend"]
WEBHOOK_SIGNIN_FAILURES = env_int("WEBHOOK_SIGNIN_FAILURES", 5, minimum=1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The panel's language switch is remembered for a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves `collectstatic` output (hashed, compressed names, cached forever) with
    # whitenoise; development and tests serve straight from the app and STATICFILES_DIRS folders.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Development (and tests) find files where they are, at request time, so STATIC_ROOT need not
# exist there (no "No directory at: .../staticfiles/" warning); production reads it once.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["webhooks.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# API tokens (django-rest-knox): only a SHA-512 digest is stored; each token has a name, an
# optional expiry and a last-used time (webhooks.models.ApiToken).
KNOX_TOKEN_MODEL = "webhooks.ApiToken"
REST_KNOX = {"TOKEN_MODEL": KNOX_TOKEN_MODEL, "TOKEN_TTL": None, "AUTH_HEADER_PREFIX": "Bearer"}
# knox's own migrations create its default token table even when the model is swapped out; with
# none, no stray (and unflushable) knox_authtoken table exists.
MIGRATION_MODULES = {"knox": None}


def _encryption_keys() -> list[str]:
    """Fernet keys, comma-separated: the first encrypts, all decrypt (docs/production.md)."""
    keys = env_list("WEBHOOK_ENCRYPTION_KEYS")
    if not keys:
        if PRODUCTION:
            raise ImproperlyConfigured(
                "WEBHOOK_ENCRYPTION_KEYS must be set in production: one or more Fernet keys, "
                "comma-separated; create one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            )
        # Development only: derived from the (development) SECRET_KEY, so restarts can read
        # what earlier runs stored.
        digest = hashlib.sha256(b"cotalker-webhooks-encryption:" + SECRET_KEY.encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"WEBHOOK_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe base64 bytes)"
            ) from None
    return keys


WEBHOOK_ENCRYPTION_KEYS = _encryption_keys()

# django-q2: the ORM broker by default, Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL")
Q_CLUSTER: dict[str, Any] = {
    "name": env_str("Q_CLUSTER_NAME", "cotalker_webhooks"),
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": env_int("Q_TIMEOUT", 120, minimum=1),
    "retry": env_int("Q_RETRY", 180, minimum=2),
    "max_attempts": 1,
    # A doorbell task only hands its webhook to the worker's dispatcher, so a worker runs many:
    # recycling it every 500 (django-q2's default) would restart it every few seconds under load.
    "recycle": env_int("Q_RECYCLE", 10000, minimum=1),
    "poll": env_float("Q_POLL", 0.05),
    "save_limit": env_int("Q_SAVE_LIMIT", 100),
    "ack_failures": True,
    "catch_up": False,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    # A pusher that keeps pulling through a broker outage (webhooks.engine.brokers).
    Q_CLUSTER["broker_class"] = "webhooks.engine.brokers.PatientRedis"
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "webhooks.engine.brokers.PatientORM"

# Caches. "heartbeat" holds the delivery clocks' heartbeat (webhooks.health), so it must be
# shared by every process on every machine: Redis when there is one (keyed by the cluster's
# name, like django-q2's own keys), else a database table (created by `migrate`).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "heartbeat": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"cotalker_webhooks:{Q_CLUSTER['name']}",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "webhooks_cache"}
    ),
}


def _site_url() -> str:
    """The panel's address as people reach it, for links in what is sent outside a request
    (alert emails, operational webhooks): SITE_URL, else https:// and the first ALLOWED_HOSTS
    name in production, else the development server."""
    raw = env_str("SITE_URL").strip().rstrip("/")
    if not raw:
        first = ALLOWED_HOSTS[0] if ALLOWED_HOSTS else ""
        if PRODUCTION and first and first != "*" and not first.startswith("."):
            return f"https://{first}"
        return "http://127.0.0.1:8000"
    if not raw.startswith(("http://", "https://")) or "/" in raw.split("://", 1)[1].strip("/") or "?" in raw:
        raise ImproperlyConfigured(
            f"SITE_URL must be an http(s) origin such as https://webhooks.example.com, not {raw!r}"
        )
    return raw


SITE_URL = _site_url()

# Email (alert emails to each company's staff administrators, webhooks.alerts). Development
# prints them on the console; production sends them through the SMTP server given here.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS (STARTTLS) and EMAIL_USE_SSL (implicit TLS): set one, not both")
# Seconds an SMTP connection or command may take: a hung mail server holds a task worker no longer.
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0, minimum=1.0)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webhooks@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Test events per minute (the synchronous send-test of the panel and the API): per webhook and per
# company. A request over either gets 429 with Retry-After.
WEBHOOK_SEND_TEST_PER_WEBHOOK = env_int("WEBHOOK_SEND_TEST_PER_WEBHOOK", 5, minimum=1)
WEBHOOK_SEND_TEST_PER_COMPANY = env_int("WEBHOOK_SEND_TEST_PER_COMPANY", 20, minimum=1)

# At most this many failed deliveries are queued again by one "redeliver failed" (panel or API);
# the answer says how many are left, and running it again continues where it stopped.
WEBHOOK_REDELIVER_FAILED_MAX = env_int("WEBHOOK_REDELIVER_FAILED_MAX", 1000, minimum=1)

# Health (GET /healthz): 503 when no delivery clock has beaten for this many seconds, or
# (when above 0) when a due delivery has waited longer than HEALTH_DELIVERY_MAX_AGE seconds.
HEALTH_HEARTBEAT_MAX_AGE = env_float("HEALTH_HEARTBEAT_MAX_AGE", 60.0, minimum=1.0)
HEALTH_DELIVERY_MAX_AGE = env_float("HEALTH_DELIVERY_MAX_AGE", 0.0)

# Retention: finished delivery logs (with their attempts) and unreferenced events older than
# this many days are pruned daily (webhooks.retention, `manage.py prune_logs`).
WEBHOOK_LOG_RETENTION_DAYS = env_int("WEBHOOK_LOG_RETENTION_DAYS", 30, minimum=1)
WEBHOOK_LOG_PRUNE_BATCH = env_int("WEBHOOK_LOG_PRUNE_BATCH", 1000, minimum=1)

# Delivery engine (docs/delivery.md). Delay and attempts are settings so tests can shrink them.
WEBHOOK_RETRY_DELAY = env_float("WEBHOOK_RETRY_DELAY", 30.0)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 3, minimum=1)
# A receiver's Retry-After (on 429 and 503) delays the retry up to this many seconds.
WEBHOOK_RETRY_AFTER_MAX = env_float("WEBHOOK_RETRY_AFTER_MAX", 3600.0, minimum=0.0)
# When a webhook keeps failing (docs/delivery.md): "failing" after this many failed deliveries in a
# row; paused after WEBHOOK_PAUSE_AFTER_FAILURES of them (0: never) spanning at least
# WEBHOOK_PAUSE_AFTER_MINUTES (a company's DeliveryPolicy may set its own).
WEBHOOK_FAILING_AFTER = env_int("WEBHOOK_FAILING_AFTER", 3, minimum=1)
WEBHOOK_PAUSE_AFTER_FAILURES = env_int("WEBHOOK_PAUSE_AFTER_FAILURES", 20, minimum=0)
WEBHOOK_PAUSE_AFTER_MINUTES = env_float("WEBHOOK_PAUSE_AFTER_MINUTES", 60.0, minimum=0.0)
WEBHOOK_CONNECT_TIMEOUT = env_float("WEBHOOK_CONNECT_TIMEOUT", 5.0)
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 15.0)
WEBHOOK_RESPONSE_MAX_BYTES = env_int("WEBHOOK_RESPONSE_MAX_BYTES", 65536, minimum=1)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=not PRODUCTION)
WEBHOOK_CLOCK_INTERVAL = env_float("WEBHOOK_CLOCK_INTERVAL", 1.0)
WEBHOOK_SWEEP_AFTER = env_float("WEBHOOK_SWEEP_AFTER", 60.0)
WEBHOOK_LEASE_MARGIN = env_float("WEBHOOK_LEASE_MARGIN", 30.0)
WEBHOOK_DEMO_RECEIVER = env_bool("WEBHOOK_DEMO_RECEIVER", default=DEBUG)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
# One line per record on stderr: ISO-8601 time (with offset), level, logger, message. The `webhooks.delivery`
# logger writes one line per attempt (webhook, delivery, attempt, status, duration, state):
# never a payload, a response body, a header or a secret.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
WEBHOOK_SECRET_ROTATION_GRACE = env_int("WEBHOOK_SECRET_ROTATION_GRACE", 86400)
WEBHOOK_DRAIN_BUDGET = env_float("WEBHOOK_DRAIN_BUDGET", 10.0)
# Per cluster worker process: webhooks drained at once (each a thread holding one request, or a
# webhook's maxInFlight in `object` mode), and requests in flight to one receiver host at once.
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 200, minimum=1)
# Defaults to WEBHOOK_CONCURRENCY: the webhooks rung together share a doorbell task (doorbell.ring_shares),
# so one worker may take most of a fan-out to one host; a lower cap is a policy for a fragile host.
WEBHOOK_MAX_PER_HOST = env_int("WEBHOOK_MAX_PER_HOST", WEBHOOK_CONCURRENCY, minimum=1)
# Per cluster worker process: threads (each with its database connection) that run the drains'
# statements, batching those that wait together into one transaction.
WEBHOOK_DATABASE_THREADS = env_int("WEBHOOK_DATABASE_THREADS", 2, minimum=1)
# PostgreSQL: each process LISTENs for webhook route changes, so that a change no webhook
# can want costs no query. Needs a session of its own: turn off behind a transaction pooler.
WEBHOOK_ROUTE_TABLE = env_bool("WEBHOOK_ROUTE_TABLE", default=True)

# REST API schema (drf-spectacular), served at /api/schema/ and rendered at /api/docs/.
SPECTACULAR_SETTINGS = {
    "TITLE": "Cotalker Webhooks API",
    "DESCRIPTION": (
        "Cotalker-compatible webhook subscriptions and logs (/api/v3/webhook/subscription), "
        "plus management: create, update, activate/deactivate, send test, redeliver, rotate secret. "
        "Lists are JSON arrays paginated with limit/offset, X-Total-Count and an RFC 8288 Link header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v3",
    # The triggers an administrator may choose (the operational webhook's is the system's own).
    "ENUM_NAME_OVERRIDES": {"TriggerEnum": "webhooks.models.PUBLIC_TRIGGER_CHOICES"},
    # No "* `value` - Label" Markdown list appended to the descriptions of enum fields and
    # parameters: the docs page shows descriptions as plain text, and the enum lists its values.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
}
