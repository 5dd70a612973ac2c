"""Settings, every value read from the environment (or a `.env` file).

The defaults make a laptop run work with nothing but Python: SQLite, mail to
the console, tasks in-process. Production sets DATABASE_URL, SECRET_KEY,
EMAIL_URL, REDIS_URL and CELERY_BROKER_URL (see README.md).
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

DEV_SECRET_KEY = "django-insecure-dev-only-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        sys.exit(
            "Configuration error: SECRET_KEY must be set when DEBUG is off "
            "(export SECRET_KEY=..., or DEBUG=true for local development)."
        )
    SECRET_KEY = DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
SERVER_BASE_URL = env.str("SERVER_BASE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    # Django's admin with the project's site (users.adminsite.StaffAdminSite: two-step sign-in).
    "users.adminconfig.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_filters",
    "rest_framework_simplejwt.token_blacklist",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "core",
    "audit",
    "users",
    "mfa",
    "notifications",
    "events",
    "django_htmx",
    "portal",
]

# Async-capable versions of Django's middleware (core.middleware): the request
# context (id, client address) comes first, so everything after it logs and audits with it;
# under ASGI none of them hands the request to a thread.
# core.bearer's classes pass a token request (Bearer, no session cookie, an API route)
# straight through: it needs no session, CSRF, messages, second step or htmx.
MIDDLEWARE = [
    "core.middleware.RequestContextMiddleware",
    "core.middleware.SecurityMiddleware",
    "core.bearer.CSPMiddleware",
    "core.middleware.WhiteNoiseMiddleware",
    "core.bearer.SessionMiddleware",
    "core.middleware.CommonMiddleware",
    "core.bearer.CsrfViewMiddleware",
    "core.bearer.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed its second step (django-otp).
    "core.bearer.OTPMiddleware",
    "core.bearer.MessageMiddleware",
    "users.staff_session.AdminIdleTimeoutMiddleware",
    "core.middleware.XFrameOptionsMiddleware",
    "core.bearer.HtmxMiddleware",
]

ROOT_URLCONF = "event_manager.urls"
WSGI_APPLICATION = "event_manager.wsgi.application"
ASGI_APPLICATION = "event_manager.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "event_manager" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and beat (`make run`) write to one file: readers never block
    # the writer (WAL), a write transaction takes the lock when it begins and waits up to 20 s
    # for it (IMMEDIATE), instead of failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    if env.bool("DATABASE_POOL", default=False):
        # psycopg's pool (Django 5.1+); persistent connections must then be off.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        # runserver (`make run`) serves each request in a thread of its own: a persistent
        # connection per thread would pile up until PostgreSQL refuses new clients.
        if sys.argv[1:2] == ["runserver"]:
            DATABASES["default"]["CONN_MAX_AGE"] = 0
        # No `SELECT 1` before every request (its cost: docs/benchmarks.md): a
        # connection that broke is closed at the end of the request that saw the
        # error, and the next request opens a new one.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
    # Server-side binding: psycopg sends the parameters apart from the statement's text, so a
    # statement a connection has run DATABASE_PREPARE_THRESHOLD times is prepared there and
    # not parsed again (PostgreSQL's CPU for a primary-key read about a quarter, the app's
    # 9-28 % less: docs/benchmarks.md). Off: Django's default, parameters inlined
    # client-side. `none` keeps the binding and prepares nothing (pgbouncer before 1.21).
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5").strip().lower()
        if threshold != "none" and not (threshold.isdigit() and int(threshold) <= 1_000_000):
            sys.exit(
                "Configuration error: DATABASE_PREPARE_THRESHOLD must be a whole number 0 or more, "
                f"or none; got {threshold!r}."
            )
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=None if threshold == "none" else int(threshold)
        )

# A read replica (streaming replication) for the big lists: GET /users/ reads its page
# and total there. Unset: everything reads the primary. Lists may then lag the primary
# by the replication delay; everything else (writes, lookups, logins) stays on it.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "TEST": {"MIRROR": "default"},
    }
    _binding = ("server_side_binding", "prepare_threshold")
    DATABASES["replica"].setdefault("OPTIONS", {}).update(
        {key: value for key, value in DATABASES["default"].get("OPTIONS", {}).items() if key in _binding}
    )
LIST_DATABASE = "replica" if DATABASE_REPLICA_URL else "default"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and passwords ------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["users.backends.AccountBackend"]
PASSWORD_HASHERS = [
    "users.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "nickname", "first_name", "last_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "users.validators.PasswordComplexityValidator"},
]
# Argon2id cost; OWASP's minimum is 19 MiB, 2 passes, 1 lane. Raising it slows
# every login and registration proportionally (see README, "Capacity").
ARGON2_TIME_COST = env.int("ARGON2_TIME_COST", default=2)
ARGON2_MEMORY_COST = env.int("ARGON2_MEMORY_COST", default=19 * 1024)
ARGON2_PARALLELISM = env.int("ARGON2_PARALLELISM", default=1)
if ARGON2_TIME_COST < 2 or ARGON2_MEMORY_COST < 19 * 1024 or ARGON2_PARALLELISM < 1:
    sys.exit("Configuration error: Argon2 parameters below OWASP's minimum (time 2, memory 19456 KiB, parallelism 1).")
MAX_LOGIN_ATTEMPTS = env.int("MAX_LOGIN_ATTEMPTS", default=3)
# Minutes after which a lock from failed logins lifts by itself (the next attempt lifts
# it); 0: only staff or a password reset unlock. A lock by staff never lifts by itself.
LOCKOUT_COOLOFF_MINUTES = env.int("LOCKOUT_COOLOFF_MINUTES", default=15)
# Two-factor sign-in (README, "Two-factor sign-in"): with this on, an ADMIN or MANAGER
# without a second factor is taken to enrolment before any other admin page.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=not DEBUG)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Event Manager")
# django-otp's own per-device delay after wrong codes is off: wrong codes count toward
# MAX_LOGIN_ATTEMPTS like wrong passwords (users.services.login), and AUTH_THROTTLE_RATE
# throttles them per client address.
OTP_TOTP_THROTTLE_FACTOR = 0
# A code of the previous, current or next 30-second step is accepted (±1 step of clock
# drift), always around the server's clock: no learnt drift widens the window.
OTP_TOTP_SYNC = False
# Staff admin sessions: they end after this many minutes without a request to /admin/;
# dangerous admin actions (making an ADMIN, resetting factors, deleting users) ask for the
# password (and code) again when it was last proved longer ago than ADMIN_REAUTH_MINUTES.
ADMIN_SESSION_IDLE_MINUTES = env.int("ADMIN_SESSION_IDLE_MINUTES", default=30)
ADMIN_REAUTH_MINUTES = env.int("ADMIN_REAUTH_MINUTES", default=10)
# Passkeys (django-otp-webauthn) are a second factor only (after the password), checked
# against the origin the request came to (its host is checked by ALLOWED_HOSTS);
# WEBAUTHN_RP_ID (default: that host's name) scopes them to a domain, for good.
OTP_WEBAUTHN_HELPER_CLASS = "users.passkeys.PasskeyHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="Event Manager")
OTP_WEBAUTHN_RP_ID_CALLABLE = "users.passkeys.relying_party_id"
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="")
# Origins accepted beside the request's own (users.passkeys.PasskeyHelper), e.g. another
# name of the site; each https:// (or http://localhost…).
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ALLOWED_ORIGINS", default=[])
# Seconds a password reset link stays valid (until used).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# /password-reset and /verify-email/resend answer no sooner than this, so their
# time does not tell whether the address is registered.
ACCOUNT_LOOKUP_MIN_SECONDS = env.float("ACCOUNT_LOOKUP_MIN_SECONDS", default=0.25)
# Links in verification emails stay valid this long (until used).
EMAIL_VERIFICATION_TIMEOUT = env.int("EMAIL_VERIFICATION_TIMEOUT", default=3 * 24 * 3600)

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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
# With DEBUG off, static files are served from the manifest that `collectstatic`
# writes (the Dockerfile, `make serve` and `make run` run it). Tests and
# `runserver` run without it; whitenoise then finds files itself.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

# --- Email --------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Cache (throttle counters; shared by every worker and instance) ---------
# REDIS_URL set: Redis, with short socket timeouts so an outage cannot hang a
# request (the throttle then fails open, see users/throttling.py). Unset: a table
# in the database (created by the migration users.0002), which every worker of
# every instance sharing the database sees; a per-process cache would let each
# gunicorn worker count on its own.
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=0.5)
CACHE_TABLE = "event_manager_cache"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            # Expired rows are culled once the table holds this many (one row per client address).
            "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=10_000)},
        }
    }
# After a cache error the throttle skips the cache (fails open) for this many seconds.
THROTTLE_CACHE_RETRY_SECONDS = env.float("THROTTLE_CACHE_RETRY_SECONDS", default=5.0)

# --- Request limits ------------------------------------------------------------
# The largest body the API needs is a user profile (a few KB); 1 MiB leaves room and
# answers anything bigger with 413 (event_manager/parsers.py) before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing is best-effort and bounded: a broker that is down costs a request about a
# second (3 s if it accepts and hangs), never a 500; the outbox row stays PENDING and
# beat's sweep queues it later.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT, "socket_timeout": 3}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Without a broker, a fan-out to more people than this is left to `send_pending_emails`.
NOTIFICATIONS_EAGER_INLINE_MAX = env.int("NOTIFICATIONS_EAGER_INLINE_MAX", default=100)
# With a worker, a fan-out to more people than this is written by the worker, not the request.
NOTIFICATIONS_FANOUT_INLINE_MAX = env.int("NOTIFICATIONS_FANOUT_INLINE_MAX", default=200)
# How often Celery beat sweeps the outbox for PENDING emails the broker never got.
NOTIFICATIONS_SWEEP_INTERVAL = env.int("NOTIFICATIONS_SWEEP_INTERVAL", default=60)
# The daily digest goes out at this local time ("HH:MM") in each recipient's time zone; beat
# looks for digests that are due every NOTIFICATIONS_DIGEST_INTERVAL seconds.
NOTIFICATIONS_DIGEST_TIME = env.str("NOTIFICATIONS_DIGEST_TIME", default="07:00")
NOTIFICATIONS_DIGEST_INTERVAL = env.int("NOTIFICATIONS_DIGEST_INTERVAL", default=15 * 60)
EMAIL_SEND_MAX_RETRIES = env.int("EMAIL_SEND_MAX_RETRIES", default=5)
# Email delivery (README: fault policy). A worker holds each email it sends by a lease of
# EMAIL_CLAIM_SECONDS, renewed as it goes; a SENDING email whose lease ran out was stranded
# by a crash and is swept. A transient failure is retried by the sweep, the delay doubling
# from 5 s up to EMAIL_RETRY_MAX_DELAY seconds, for EMAIL_RETRY_FOR_HOURS after the email was
# written; a 5xx refusal is not retried.
EMAIL_CLAIM_SECONDS = env.int("EMAIL_CLAIM_SECONDS", default=30)
EMAIL_RETRY_MAX_DELAY = env.int("EMAIL_RETRY_MAX_DELAY", default=600)
EMAIL_RETRY_FOR_HOURS = env.float("EMAIL_RETRY_FOR_HOURS", default=24)
# Retention (core/retention.py), run by beat every RETENTION_INTERVAL seconds in batches of
# RETENTION_BATCH_SIZE rows: read in-app notifications and sent emails older than these many
# days (0: kept forever), expired sessions, refresh tokens and cache rows. Never the audit trail.
RETENTION_INTERVAL = env.int("RETENTION_INTERVAL", default=3600)
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=1000)
NOTIFICATIONS_READ_RETENTION_DAYS = env.int("NOTIFICATIONS_READ_RETENTION_DAYS", default=90)
EMAIL_RETENTION_DAYS = env.int("EMAIL_RETENTION_DAYS", default=30)
# /health says `degraded` while an email has waited longer than this, or while the worker's
# heartbeat (written every WORKER_HEARTBEAT_INTERVAL seconds) is three beats late.
NOTIFICATIONS_LATE_MINUTES = env.int("NOTIFICATIONS_LATE_MINUTES", default=5)
WORKER_HEARTBEAT_INTERVAL = env.int("WORKER_HEARTBEAT_INTERVAL", default=30)
# Redis: a task whose worker died unacknowledged is delivered again after this many seconds
# (kombu's default, made explicit). Emails do not wait for it: their lease is swept sooner.
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
# The embedded queue `make run` uses (CELERY_BROKER_URL=filesystem://, no broker to install):
# kombu's filesystem transport, one file per task in CELERY_FILESYSTEM_DIR, polled by the worker
# every CELERY_FILESYSTEM_POLL seconds. For one machine: web, worker and beat share the folder.
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_FILESYSTEM_DIR = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(BASE_DIR / "var" / "celery")))
    (CELERY_FILESYSTEM_DIR / "queue").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(CELERY_FILESYSTEM_DIR / "queue"),
        data_folder_out=str(CELERY_FILESYSTEM_DIR / "queue"),
        control_folder=str(CELERY_FILESYSTEM_DIR / "queue"),
        polling_interval=env.float("CELERY_FILESYSTEM_POLL", default=0.2),
    )

# --- Events -------------------------------------------------------------------
# How often Celery beat looks for events starting within EVENTS_REMINDER_LEAD_HOURS.
EVENTS_REMINDER_INTERVAL = env.int("EVENTS_REMINDER_INTERVAL", default=15 * 60)
EVENTS_REMINDER_LEAD_HOURS = env.int("EVENTS_REMINDER_LEAD_HOURS", default=24)
# Per client address on the calendar feed, which is read without a JWT.
EVENTS_FEED_THROTTLE_RATE = env.str("EVENTS_FEED_THROTTLE_RATE", default="120/hour")
# The member pages show approved events to visitors without an account (the list and the
# event page; registering needs one), unless this is false or the event is members-only.
# The API answers anonymous callers with 401 either way.
EVENTS_PUBLIC = env.bool("EVENTS_PUBLIC", default=True)
# Check-in opens this many hours before an event starts and closes when it ends.
CHECK_IN_OPENS_HOURS_BEFORE = env.float("CHECK_IN_OPENS_HOURS_BEFORE", default=3)

# --- REST framework, JWT, OpenAPI ---------------------------------------------
AUTH_THROTTLE_RATE = env.str("AUTH_THROTTLE_RATE", default="20/min")
if AUTH_THROTTLE_RATE.lower() == "none":
    AUTH_THROTTLE_RATE = None
USERS_PAGE_MAX_LIMIT = env.int("USERS_PAGE_MAX_LIMIT", default=100)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    # Trusted proxies in front (1 behind nginx). 0 means the client address is
    # REMOTE_ADDR and a client-sent X-Forwarded-For is ignored.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("ACCESS_TOKEN_EXPIRE_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(minutes=env.int("REFRESH_TOKEN_EXPIRE_MINUTES", default=1440)),
    "ALGORITHM": env.str("JWT_ALGORITHM", default="HS256"),
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Event Manager API",
    "DESCRIPTION": (
        "The API of the Event Manager community platform: accounts (registration, email verification, "
        "login, your profile and password), events (managers publish them, another manager approves, members "
        "see approved events, register, join the waiting list and are checked in; calendar files and a "
        "personal feed), notifications (in-app messages and your choice of email, in-app or the daily digest "
        "for each kind), and, for admins and managers, user management and the audit trail. Log in with "
        "**Authorize** (OAuth2 password flow against `/login/`, username = your email); programs send the "
        "token it returns as `Authorization: Bearer <access_token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayRequestDuration": True},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "users.models.Role",
        "EventStatusEnum": "events.models.EventStatus",
        "EventKindEnum": "events.models.EventKind",
        "RegistrationStatusEnum": "events.models.RegistrationStatus",
    },
    "TAGS": [
        {"name": "Login and Registration", "description": "Anyone may call these."},
        {"name": "User Management Requires (Admin or Manager Roles)", "description": "ADMIN or MANAGER token."},
        {"name": "Health", "description": "Liveness and database reachability."},
        {"name": "Events", "description": "Managers publish, other managers approve, members see approved events."},
        {"name": "Event registrations", "description": "Register, the waiting list, attendee lists and check-in."},
        {"name": "Calendar", "description": ".ics files and your personal calendar feed."},
        {"name": "Notifications", "description": "Your in-app messages, and how each kind reaches you."},
    ],
    # `.ics` and `.csv` paths are files: the schema shows them without the trailing slash.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.docs.file_paths_without_trailing_slash",
    ],
}

# --- Security -----------------------------------------------------------------
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^health/?$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Everything is served by the app itself (Swagger and ReDoc from the sidecar);
# inline scripts need the per-request nonce. Inline styles stay allowed: the
# admin and Swagger UI set style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# `email` is unique case-insensitively by a UniqueConstraint on LOWER(email),
# which Django's check for a unique USERNAME_FIELD does not recognise.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
# django-otp-webauthn wants a fixed list of origins; the request's own is used (PasskeyHelper).
SILENCED_SYSTEM_CHECKS += ["otp_webauthn.E030"]

# Logging, metrics, traces, errors and backups: event_manager/settings/operations.py.
from .operations import *  # noqa: E402, F403
