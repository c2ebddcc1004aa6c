"""Settings for the fact-check workflow tracker.

Every deployment-specific value comes from the environment (see the table in
README.md). A malformed value stops start-up with ImproperlyConfigured naming
the variable and what it expects; nothing is silently ignored.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (one of 1/0, true/false, yes/no, on/off); got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}; got {value}")
    return value


def envfloat(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number between {minimum} and {maximum}; got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name} must be a number between {minimum} and {maximum}; got {value}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envurl(name: str, default: str, *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    raw = os.environ.get(name, default).strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.hostname:
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(
            f"{name} must be an absolute URL starting with {allowed} and naming a host; got {raw!r}"
        )
    return raw


# --- Core -------------------------------------------------------------------

DEBUG = envbool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set (a long random string) unless DJANGO_DEBUG is on; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Only ever used with DJANGO_DEBUG on, on a developer's machine.
    SECRET_KEY = "debug-only-insecure-key-" + "x" * 40  # noqa: S105

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])

CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    _parts = urlsplit(_origin)
    if _parts.scheme not in ("http", "https") or not _parts.netloc:
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS must be a comma-separated list of origins such as "
            f"https://factcheck.example.org; got {_origin!r}"
        )

# The public base URL that published fact-checks live under (ClaimReview `url`,
# the API's `url`, the feed, webhooks). Required in production, where it is the
# only source of public links. In debug it may be left unset: links then follow
# the address each request came to (claims.siteurl), and work done outside a
# request (tasks, commands) uses http://127.0.0.1:$PORT, the port `make run` serves.
SITE_URL = envurl("SITE_URL", "").rstrip("/")
if not SITE_URL and not DEBUG:
    raise ImproperlyConfigured(
        "SITE_URL must be set unless DJANGO_DEBUG is on: the public base URL of this deployment, "
        "such as https://factcheck.example.org"
    )
DEBUG_SITE_URL = f"http://127.0.0.1:{envint('PORT', 8000, minimum=1, maximum=65535)}"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework_api_key",
    "csp",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "claims.siteurl.RequestSiteURLMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "factcheck.urls"

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
                "claims.site.context_processors.organization",
            ],
        },
    },
]

WSGI_APPLICATION = "factcheck.wsgi.application"
ASGI_APPLICATION = "factcheck.asgi.application"

# --- Database ---------------------------------------------------------------

_database_url = os.environ.get("DATABASE_URL", "").strip()
_conn_max_age = envint("DATABASE_CONN_MAX_AGE", 60, minimum=0)
if _database_url:
    try:
        _default_db = dj_database_url.parse(_database_url, conn_max_age=_conn_max_age, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        scheme = urlsplit(_database_url).scheme or "(none)"
        raise ImproperlyConfigured(
            "DATABASE_URL must be a database URL such as postgres://user@127.0.0.1:5432/factcheck "
            f"or sqlite:///path/to/db.sqlite3; could not parse it (scheme {scheme!r}): {exc}"
        ) from None
    if _default_db.get("ENGINE") not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
        raise ImproperlyConfigured(
            "DATABASE_URL must be a PostgreSQL (postgres://) or SQLite (sqlite:///) database URL; "
            f"got scheme {urlsplit(_database_url).scheme!r}"
        )
    if not _default_db.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. postgres://user@127.0.0.1:5432/factcheck")
else:
    # The embedded default: a SQLite file beside manage.py.
    _default_db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "db.sqlite3")}

if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two writers queue
    # instead of failing half-way with "database is locked"; WAL lets readers
    # carry on while a worker writes.
    _default_db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )

DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------

_cache_url = envurl("CACHE_URL", "", schemes=("redis", "rediss"))
if _cache_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- I18n -------------------------------------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"DJANGO_TIME_ZONE must be an IANA time zone such as Europe/London; got {TIME_ZONE!r}"
    ) from None
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In debug, serve straight from the apps' static folders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security ---------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("DJANGO_SECURE_PROXY_SSL_HEADER", False) else None
)
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = envbool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp). Scripts are files from this server or
# carry the request's nonce (nonce="{{ request.csp_nonce }}" in a template; the
# header names it only on pages that use it): no inline script, no inline event
# handler, no eval. The API docs view adds what Redoc needs (factcheck/urls.py):
# workers from blob: URLs and the hash of one stylesheet.
_csp_report_uri = os.environ.get("DJANGO_CSP_REPORT_URI", "").strip()
if _csp_report_uri and not (_csp_report_uri.startswith("/") and not _csp_report_uri.startswith("//")):
    _csp_report_uri = envurl("DJANGO_CSP_REPORT_URI", "")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # Style sheets are files from this server; Redoc's generated <style> elements carry the nonce.
        "style-src": [SELF, NONCE],
        # style="..." attributes only (CSP 3): claims/admin/ renders a few (link-check badges,
        # pre-wrapped text) and DRF's browsable API many. An attribute runs no script and loads
        # nothing img-src/font-src refuse; a browser without style-src-attr applies style-src and
        # merely drops them.
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "report-uri": _csp_report_uri or None,
    },
}

# --- REST framework ---------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "claims.api.auth.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("FACTCHECK_API_ANON_RATE", "120/min")},
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's parsers, with a JSON nesting limit and DATA_UPLOAD_MAX_MEMORY_SIZE on multipart bodies whole.
    "DEFAULT_PARSER_CLASSES": [
        "claims.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "claims.api.parsers.MultiPartParser",
    ],
    # DRF's handler, plus: a body over the limit is a 413, a URL refused on save a 400,
    # a unique-constraint race a 409.
    "EXCEPTION_HANDLER": "claims.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fact-check desk API",
    "DESCRIPTION": "Published fact-checks, as JSON and as schema.org ClaimReview.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc assets are served from this server (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The system's fonts: Redoc's defaults (Montserrat, Roboto) would be looked for elsewhere.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {"fontFamily": "system-ui, sans-serif", "headings": {"fontFamily": "system-ui, sans-serif"}}
        },
    },
    # Operation names and tags without the version ("fact_checks_list", not "v1_fact_checks_list").
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Tags in the order the docs show them, public first; each operation's tag and summary (claims/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "claims.api.schema.group_operations",
    ],
}

_anon_rate = REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"]
try:
    _count, _period = _anon_rate.split("/")
    int(_count)
    if _period[0] not in "smhd":
        raise ValueError
except (ValueError, IndexError):
    raise ImproperlyConfigured(
        f"FACTCHECK_API_ANON_RATE must look like 120/min (a number, a slash, then s, min, hour or day); got {_anon_rate!r}"
    ) from None

# The public read API may be called from any web page, for reading only.
CORS_URLS_REGEX = r"^/api/v1/fact-checks(/.*)?$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified"]

# --- Celery -----------------------------------------------------------------

CELERY_BROKER_URL = envurl("CELERY_BROKER_URL", "", schemes=("redis", "rediss", "amqp", "amqps"))
# With no broker configured, tasks run in-process as they are queued
# (factcheck.celery logs this once at start-up).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only once it has finished, so a worker that dies
# mid-task leaves the message to be delivered again; tasks are idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 180, minimum=1)
# The longest hard limit of any task: the default above, or the one a task sets
# itself (claims/tasks.py: time_limit=150 on the fetch, snapshot, link-check,
# extraction and matching tasks). tests/test_crash_recovery.py holds every
# registered task to it.
FACTCHECK_LONGEST_TASK_SECONDS = max(CELERY_TASK_TIME_LIMIT, 150)
# A retry waits out its countdown in the worker that holds its message, still
# unacknowledged; claims.tasks keeps every countdown within this.
FACTCHECK_RETRY_COUNTDOWN_MAX = 60
# How long a message may rightly stay unacknowledged (acks late): the longest
# run after the longest countdown, plus a minute for its wait in the worker and
# for clocks that differ between hosts (the consumer stamps the message, any
# worker checks the stamp).
_LONGEST_UNACKED = FACTCHECK_LONGEST_TASK_SECONDS + FACTCHECK_RETRY_COUNTDOWN_MAX + 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis hands a message unacknowledged for visibility_timeout seconds to another
# worker: that is how the task of a worker killed outright (kill -9, out of
# memory, a lost host) comes back. Redis's default, an hour, left its work stuck
# that long. Any shorter than _LONGEST_UNACKED, and a task still running (or
# waiting out a countdown) would be delivered a second time: harmless, the tasks
# are idempotent, but work done twice. kombu looks for such messages every ~100 s.
# The socket timeouts bound how long a caller can wait on an unreachable broker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _LONGEST_UNACKED,
    "socket_connect_timeout": 5,
    "socket_timeout": 5,
}
# Work left in a running state longer than this (an article fetching or
# extracting, a snapshot never taken) is queued again, once, by claims.recovery:
# by then the task that had it is gone. Shorter than _LONGEST_UNACKED, a slow
# task may be run twice (harmless, wasteful); tests set a couple of seconds.
FACTCHECK_STUCK_AFTER_SECONDS = envint("FACTCHECK_STUCK_AFTER_SECONDS", _LONGEST_UNACKED, minimum=1)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Slow network work and CPU-bound extraction scale separately:
#   celery -A factcheck worker -Q fetch      and     celery -A factcheck worker -Q extract,default
# FACTCHECK_QUEUE_PREFIX lets several deployments (or test runs) share one broker.
FACTCHECK_QUEUE_PREFIX = os.environ.get("FACTCHECK_QUEUE_PREFIX", "")
FACTCHECK_FETCH_QUEUE = FACTCHECK_QUEUE_PREFIX + "fetch"
FACTCHECK_EXTRACT_QUEUE = FACTCHECK_QUEUE_PREFIX + "extract"
CELERY_TASK_ROUTES = {
    "claims.tasks.ingest_article": {"queue": FACTCHECK_FETCH_QUEUE},
    "claims.tasks.extract_article_claims": {"queue": FACTCHECK_EXTRACT_QUEUE},
    # Evidence snapshots and link checks fetch other people's pages.
    "claims.tasks.snapshot_evidence": {"queue": FACTCHECK_FETCH_QUEUE},
    "claims.tasks.check_evidence_link": {"queue": FACTCHECK_FETCH_QUEUE},
    # Webhook deliveries wait on other people's servers: network-bound work.
    "claims.tasks.deliver_webhook": {"queue": FACTCHECK_FETCH_QUEUE},
    "claims.tasks.deliver_due_webhooks": {"queue": FACTCHECK_FETCH_QUEUE},
    # Claim matching: database and CPU, next to extraction.
    "claims.tasks.match_claims": {"queue": FACTCHECK_EXTRACT_QUEUE},
    "claims.tasks.index_semantic": {"queue": FACTCHECK_EXTRACT_QUEUE},
    # Sending mail waits on the mail server: network-bound.
    "claims.tasks.send_notification_email": {"queue": FACTCHECK_FETCH_QUEUE},
    # A tip is matched like a claim (and its image fetched from the channel first).
    "claims.tasks.receive_channel_delivery": {"queue": FACTCHECK_EXTRACT_QUEUE},
    "claims.tasks.process_tip": {"queue": FACTCHECK_EXTRACT_QUEUE},
    # Replies to requesters wait on WhatsApp's, Telegram's or the mail server.
    "claims.tasks.send_tip_reply": {"queue": FACTCHECK_FETCH_QUEUE},
    "claims.tasks.send_due_tip_replies": {"queue": FACTCHECK_FETCH_QUEUE},
    "claims.tasks.queue_tip_replies": {"queue": FACTCHECK_FETCH_QUEUE},
    # Monitored feeds and sitemaps: fetching.
    "claims.tasks.poll_watched_sources": {"queue": FACTCHECK_FETCH_QUEUE},
    "claims.tasks.poll_watched_source": {"queue": FACTCHECK_FETCH_QUEUE},
}
# How long the outbox relay waits on the broker before it gives up for this pass.
FACTCHECK_OUTBOX_PUBLISH_TIMEOUT = envint("FACTCHECK_OUTBOX_PUBLISH_TIMEOUT", 5, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "claims.tasks.record_worker_heartbeat", "schedule": 60.0},
    "publish-due-claims": {"task": "claims.tasks.publish_due_claims", "schedule": 60.0},
    # Plans the next minute of link checks (claims.evidence.snapshots.plan_link_checks).
    "check-evidence-links": {"task": "claims.tasks.check_evidence_links", "schedule": 60.0},
    # Re-queues work a lost worker left behind (claims.recovery). A run that
    # waited a minute in the queue is dropped: the next one does the same.
    "requeue-stuck-work": {
        "task": "claims.tasks.requeue_stuck_work",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    # The retry schedule's shortest step is 5 seconds. A run that waited longer
    # than that in the queue is dropped: the next one does the same work.
    # Polls the monitored feeds and sitemaps that are due (claims.monitoring.polling).
    "poll-watched-sources": {
        "task": "claims.tasks.poll_watched_sources",
        "schedule": 60.0,
        "options": {"queue": FACTCHECK_FETCH_QUEUE, "expires": 60},
    },
    "deliver-due-webhooks": {
        "task": "claims.tasks.deliver_due_webhooks",
        "schedule": 5.0,
        "options": {"queue": FACTCHECK_FETCH_QUEUE, "expires": 5},
    },
    # Notification e-mails whose first try failed (mail server down), and the daily digests.
    "send-due-notification-emails": {
        "task": "claims.tasks.send_due_notification_emails",
        "schedule": 60.0,
        "options": {"queue": FACTCHECK_FETCH_QUEUE, "expires": 60},
    },
    "send-notification-digests": {
        "task": "claims.tasks.send_notification_digests",
        "schedule": 600.0,
        "options": {"queue": FACTCHECK_FETCH_QUEUE, "expires": 600},
    },
    # Replies to tips a channel outage held back (claims.tiplines.replies.send_due).
    "send-due-tip-replies": {
        "task": "claims.tasks.send_due_tip_replies",
        "schedule": 10.0,
        "options": {"queue": FACTCHECK_FETCH_QUEUE, "expires": 10},
    },
    # Requesters' identities past FACTCHECK_TIP_RETENTION_DAYS are erased (counts stay).
    "erase-expired-tip-identities": {"task": "claims.tasks.erase_expired_tip_identities", "schedule": 3600.0},
}
CELERY_TIMEZONE = TIME_ZONE

# --- E-mail -------------------------------------------------------------------
# Notifications are e-mailed through Django's e-mail backends by a Celery task
# (claims.collaboration.email). EMAIL_URL (smtp://user:pass@host:587?tls=1,
# smtps://... for implicit TLS, console:// to print) or the usual EMAIL_* variables;
# neither set: the console backend in debug, SMTP on localhost:25 otherwise.


def _email_from_url(raw: str) -> dict:
    parts = urlsplit(raw)
    expected = "EMAIL_URL must look like smtp://user:password@host:587?tls=1, smtps://host:465 or console://"
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ImproperlyConfigured(f"{expected}; got a URL with scheme {parts.scheme!r}")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ImproperlyConfigured(f"{expected}; its port is not a number from 1 to 65535") from None
    options = dict(parse_qsl(parts.query))
    unknown = set(options) - {"tls", "ssl", "timeout"}
    if unknown:
        raise ImproperlyConfigured(f"{expected}; unknown option(s) {', '.join(sorted(unknown))}")
    tls = options.get("tls", "0").lower() in ("1", "true", "yes", "on")
    ssl = parts.scheme == "smtps" or options.get("ssl", "0").lower() in ("1", "true", "yes", "on")
    if tls and ssl:
        raise ImproperlyConfigured("EMAIL_URL: choose tls=1 (STARTTLS) or smtps:// (implicit TLS), not both")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": tls,
        "EMAIL_USE_SSL": ssl,
    }


if os.environ.get("EMAIL_URL", "").strip():
    _email = _email_from_url(os.environ["EMAIL_URL"].strip())
elif os.environ.get("EMAIL_HOST", "").strip() or not DEBUG:
    _email = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": os.environ.get("EMAIL_HOST", "").strip() or "localhost",
        "EMAIL_PORT": envint("EMAIL_PORT", 25, minimum=1, maximum=65535),
        "EMAIL_HOST_USER": os.environ.get("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": envbool("EMAIL_USE_TLS", False),
        "EMAIL_USE_SSL": envbool("EMAIL_USE_SSL", False),
    }
    if _email["EMAIL_USE_TLS"] and _email["EMAIL_USE_SSL"]:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL: set one of them, not both")
else:
    _email = {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# A mail server that does not answer must not hold the notification's row lock for long.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1, maximum=120)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "Fact-check desk <desk@localhost>"
if "@" not in DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured(f"DEFAULT_FROM_EMAIL must be an e-mail address; got {DEFAULT_FROM_EMAIL!r}")
EMAIL_SUBJECT_PREFIX = os.environ.get("EMAIL_SUBJECT_PREFIX", "[Fact-check desk] ")
# Daily digests go out at the first beat run from this hour (DJANGO_TIME_ZONE) on.
FACTCHECK_DIGEST_HOUR = envint("FACTCHECK_DIGEST_HOUR", 7, minimum=0, maximum=23)

# --- Logging ----------------------------------------------------------------

LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"DJANGO_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; got {LOG_LEVEL!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "factcheck": {"level": LOG_LEVEL},
        "claims": {"level": LOG_LEVEL},
    },
}

# --- The product ------------------------------------------------------------

# The organisation that publishes fact-checks (ClaimReview `author`).
FACTCHECK_ORGANIZATION_NAME = os.environ.get("FACTCHECK_ORGANIZATION_NAME", "Fact-check desk")
# Publishing needs this many evidence items from distinct publishers.
FACTCHECK_MIN_INDEPENDENT_SOURCES = envint("FACTCHECK_MIN_INDEPENDENT_SOURCES", 2, minimum=1)
# Languages the desk works in (BCP 47 codes), offered as filters in the admin.
FACTCHECK_LANGUAGES = envlist("FACTCHECK_LANGUAGES", ["en", "ar", "es", "fr", "de", "pt", "ru", "uk"])
# Candidates waiting longer than this are flagged on the dashboard.
FACTCHECK_TRIAGE_SLA_HOURS = envint("FACTCHECK_TRIAGE_SLA_HOURS", 48, minimum=1)

# Fetching pages (articles, evidence): limits of the safe fetcher.
FACTCHECK_FETCH_MAX_BYTES = envint("FACTCHECK_FETCH_MAX_BYTES", 5_000_000, minimum=1)
FACTCHECK_FETCH_CONNECT_TIMEOUT = envint("FACTCHECK_FETCH_CONNECT_TIMEOUT", 5, minimum=1)
FACTCHECK_FETCH_READ_TIMEOUT = envint("FACTCHECK_FETCH_READ_TIMEOUT", 15, minimum=1)
FACTCHECK_FETCH_TOTAL_TIMEOUT = envint("FACTCHECK_FETCH_TOTAL_TIMEOUT", 60, minimum=1)
# Names this deployment, so a site owner who sees our requests knows whom to ask.
FACTCHECK_FETCH_USER_AGENT = (
    os.environ.get("FACTCHECK_FETCH_USER_AGENT", "").strip() or f"FactCheckDesk/1.0 (+{SITE_URL or DEBUG_SITE_URL})"
)
# Host names the fetcher may reach on a loopback address. Empty in production:
# tests put the name of their local HTTP server here.
FACTCHECK_FETCH_TEST_HOSTS = envlist("FACTCHECK_FETCH_TEST_HOSTS", [])

# Evidence link checks (claims.evidence.snapshots): the sources of published fact-checks
# are re-checked at most once per FACTCHECK_LINK_CHECK_HOURS, oldest first, at most
# FACTCHECK_LINK_CHECK_BATCH a minute and one request per host per
# FACTCHECK_LINK_CHECK_HOST_SECONDS; a source failing FACTCHECK_LINK_GONE_AFTER
# checks in a row (4xx, 5xx, no such host, no answer) is marked gone.
FACTCHECK_LINK_CHECK_HOURS = envint("FACTCHECK_LINK_CHECK_HOURS", 24, minimum=1)
FACTCHECK_LINK_CHECK_BATCH = envint("FACTCHECK_LINK_CHECK_BATCH", 100, minimum=1)
FACTCHECK_LINK_CHECK_HOST_SECONDS = envint("FACTCHECK_LINK_CHECK_HOST_SECONDS", 10, minimum=0, maximum=3600)
FACTCHECK_LINK_GONE_AFTER = envint("FACTCHECK_LINK_GONE_AFTER", 3, minimum=1)
# Outlet monitoring (claims.monitoring): beat polls at most FACTCHECK_MONITOR_BATCH due
# feeds and sitemaps a minute (one request per host at a time, spaced as the link
# checker's, FACTCHECK_LINK_CHECK_HOST_SECONDS); a source failing
# FACTCHECK_MONITOR_FAILING_AFTER polls in a row is shown as failing, and each failure
# doubles the wait before the next poll (at most FACTCHECK_MONITOR_MAX_BACKOFF_HOURS).
FACTCHECK_MONITOR_BATCH = envint("FACTCHECK_MONITOR_BATCH", 100, minimum=1)
FACTCHECK_MONITOR_FAILING_AFTER = envint("FACTCHECK_MONITOR_FAILING_AFTER", 3, minimum=1)
FACTCHECK_MONITOR_MAX_BACKOFF_HOURS = envint("FACTCHECK_MONITOR_MAX_BACKOFF_HOURS", 24, minimum=1)
# A new candidate whose stored match with one of our published fact-checks scores at least
# this is marked a repeat of it. Unset: the triage threshold (FACTCHECK_MATCH_MIN_SCORE, or
# the matching model's calibrated one).
FACTCHECK_REPEAT_MIN_SCORE = (
    envfloat("FACTCHECK_REPEAT_MIN_SCORE", 0.0, minimum=0.0, maximum=1.0)
    if os.environ.get("FACTCHECK_REPEAT_MIN_SCORE", "").strip()
    else None
)
# Seconds a webhook receiver has to answer a delivery (Standard Webhooks suggests 15 to 30).
FACTCHECK_WEBHOOK_TIMEOUT = envint("FACTCHECK_WEBHOOK_TIMEOUT", 15, minimum=1, maximum=120)

# Claim extraction: candidates per article scoring at least the threshold,
# the best FACTCHECK_EXTRACT_MAX_CLAIMS of them.
FACTCHECK_EXTRACT_THRESHOLD = envfloat("FACTCHECK_EXTRACT_THRESHOLD", 0.5, minimum=0.0, maximum=1.0)
FACTCHECK_EXTRACT_MAX_CLAIMS = envint("FACTCHECK_EXTRACT_MAX_CLAIMS", 10, minimum=1)
# Claim matching: the triage queue keeps a claim's matches scoring at least this (0 to 1).
# Unset: the threshold calibrated with the matching model (claims/matching/model.json,
# "threshold": shown matches right at least 80% of the time in cross-validation).
FACTCHECK_MATCH_MIN_SCORE = (
    envfloat("FACTCHECK_MATCH_MIN_SCORE", 0.0, minimum=0.0, maximum=1.0)
    if os.environ.get("FACTCHECK_MATCH_MIN_SCORE", "").strip()
    else None
)

# Optional semantic matching (claims.matching.semantic): the absolute path of a
# sentence-embedding model's directory (Model2Vec, or sentence-transformers when
# installed), read locally and never downloaded; empty (the default) leaves it off.
# It needs PostgreSQL with pgvector and `python manage.py semantic_index`.
# FACTCHECK_SEMANTIC_WEIGHT is the cosine similarity's share of the blended score.
FACTCHECK_EMBEDDING_MODEL = os.environ.get("FACTCHECK_EMBEDDING_MODEL", "").strip()
FACTCHECK_SEMANTIC_WEIGHT = envfloat("FACTCHECK_SEMANTIC_WEIGHT", 0.3, minimum=0.0, maximum=1.0)

# Reader tips (claims.tiplines). A tip matching a published fact-check at least this
# well (0 to 1) is answered with it at once. Unset: the matching model's calibrated
# threshold, as the triage queue uses (claims.matching.triage.min_score).
FACTCHECK_TIP_ANSWER_MIN_SCORE = (
    envfloat("FACTCHECK_TIP_ANSWER_MIN_SCORE", 0.0, minimum=0.0, maximum=1.0)
    if os.environ.get("FACTCHECK_TIP_ANSWER_MIN_SCORE", "").strip()
    else None
)
# The public form and API: tips per minute from one address, and from everyone.
FACTCHECK_TIP_ADDRESS_PER_MINUTE = envint("FACTCHECK_TIP_ADDRESS_PER_MINUTE", 5, minimum=1)
FACTCHECK_TIP_GLOBAL_PER_MINUTE = envint("FACTCHECK_TIP_GLOBAL_PER_MINUTE", 120, minimum=1)
# Requesters' identities (channel ids, e-mails) and tips' contents are erased after this many days.
FACTCHECK_TIP_RETENTION_DAYS = envint("FACTCHECK_TIP_RETENTION_DAYS", 365, minimum=1)
# The largest image a tipline accepts from a channel.
FACTCHECK_TIP_MEDIA_MAX_BYTES = envint("FACTCHECK_TIP_MEDIA_MAX_BYTES", 5_000_000, minimum=1)
# WhatsApp Business Cloud API: off unless all four of the first settings are given.
WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET", "")
WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN", "")
WHATSAPP_ACCESS_TOKEN = os.environ.get("WHATSAPP_ACCESS_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_GRAPH_URL = envurl("WHATSAPP_GRAPH_URL", "https://graph.facebook.com/v21.0").rstrip("/")
# An approved message template for replies outside the 24-hour window (its body takes
# three parameters: headline, rating, URL); empty: such replies are recorded as not sent.
WHATSAPP_REPLY_TEMPLATE = os.environ.get("WHATSAPP_REPLY_TEMPLATE", "").strip()
WHATSAPP_REPLY_TEMPLATE_LANGUAGE = os.environ.get("WHATSAPP_REPLY_TEMPLATE_LANGUAGE", "en").strip() or "en"
# Telegram Bot API: off unless both the token and the webhook's secret token are given.
TELEGRAM_BOT_TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN", "")
TELEGRAM_SECRET_TOKEN = os.environ.get("TELEGRAM_SECRET_TOKEN", "")
TELEGRAM_API_URL = envurl("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
# Answers to tips sent from the web form with an e-mail address go through the same
# mail settings as notifications (EMAIL_URL or EMAIL_*, above).
