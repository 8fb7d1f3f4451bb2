"""Settings, all read from the environment (see README) with safe local defaults."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets classes such as ModelAdmin[Report] be written with their type parameter.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GEO_VAR_DIR", BASE_DIR / ".var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _local_secret_key() -> str:
    # A per-checkout random key, kept under .var/, so a local run never uses a
    # well-known key and sessions survive restarts.
    path = VAR_DIR / "secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


def _local_database_url() -> str:
    # Written by scripts/localdb.sh when it starts the project-local cluster.
    path = VAR_DIR / "database-url"
    if path.exists():
        return path.read_text().strip()
    return "postgis://postgres@127.0.0.1:54329/geo"


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # The admin, opened to administrators only (see accounts/admin_site.py).
    "accounts.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "procrastinate.contrib.django",
    "captcha",
    "common",
    "geo",
    "boundaries",
    "incidents",
    "maps",
    "alerts",
    "notifications",
    "audit",
    "agencies",
    "accounts",
    "demo",
    "stats",
    "channels.chat",
    "channels.open311",
    "channels.mail",
    "channels.hotline",
    # Social sign-in (Google, the national public-service portal); our own pages stay the entry points.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework.authtoken",
    "axes",
]

MIDDLEWARE = [
    # First, so its 503 + Retry-After for a database outage (geo/outage.py) passes every other one.
    "geo.outage.DatabaseUnavailableMiddleware",
    "geo.outage.StorageFullMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Every answer, static files and errors included, gets a Content-Security-Policy (geo/csp.py).
    "geo.csp.ContentSecurityPolicyMiddleware",
    # Refuses oversized bodies and text the database cannot hold before anything reads them.
    "geo.middleware.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "geo.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last: turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "geo.urls"
WSGI_APPLICATION = "geo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "geo.context_processors.map_settings",
                "channels.hotline.context_processors.channels",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _local_database_url(),
        engine="django.contrib.gis.db.backends.postgis",
        # Persistent connections: opening one per request costs more than the
        # lookups themselves.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
# Our prepared statements (common.db.prepared_cursor) are the hot lookups; their
# custom plans were re-planned on every call, which cost more than running them.
# Django's own queries are not prepared, so this touches nothing else.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c plan_cache_mode=force_generic_plan"
# Django leaves psycopg's prepare_threshold at None, which refuses even explicit
# prepare=True. Its client-side cursors never prepare, so a threshold no query
# reaches means: prepared only where common.db.prepared_cursor asks.
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 1_000_000_000
# DATABASE_POOL_MODE=transaction: DATABASE_URL is a transaction-pooling PgBouncer (deploy/pgbouncer.ini),
# which hands each transaction any server connection. Then psycopg prepares nothing (None turns off even
# prepared_cursor's prepare=True: a named statement would be missing, or another client's, on the next
# server connection; Debian's PgBouncer 1.18 cannot carry them), no WITH HOLD cursors, and no `options`
# (PgBouncer refuses it; the pooler sets plan_cache_mode itself, its connect_query). Empty: direct.
DATABASE_POOL_MODE = os.environ.get("DATABASE_POOL_MODE", "")
if DATABASE_POOL_MODE not in ("", "transaction"):
    raise ImproperlyConfigured(f"DATABASE_POOL_MODE must be empty or 'transaction', not {DATABASE_POOL_MODE!r}")
if DATABASE_POOL_MODE == "transaction":
    del DATABASES["default"]["OPTIONS"]["options"]
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# A streaming hot standby (docs/deploy.md): the public map, tiles, statistics and lists read there
# (common/replica.py); connected the same way as the primary (a pooler's settings included), a dead
# one given up on quickly.
if os.environ.get("REPLICA_DATABASE_URL"):
    _replica = dj_database_url.parse(os.environ["REPLICA_DATABASE_URL"])
    DATABASES["replica"] = {
        **DATABASES["default"],
        "NAME": _replica.get("NAME", ""),
        "USER": _replica.get("USER", ""),
        "PASSWORD": _replica.get("PASSWORD", ""),
        "HOST": _replica.get("HOST", ""),
        "PORT": _replica.get("PORT", ""),
        "OPTIONS": {**DATABASES["default"]["OPTIONS"], "connect_timeout": 2},
        # Tests have one database: the alias reads the test database, none is created for it.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]
    MIDDLEWARE.append("common.replica.PrimaryPinMiddleware")
# After a write, a browser reads from the primary this long: far above any normal replication lag.
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", "30"))
# A standby further behind than this is not read from; nor, for this long, one that failed.
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "10"))
REPLICA_RETRY_SECONDS = float(os.environ.get("REPLICA_RETRY_SECONDS", "5"))
REPLICA_LAG_CHECK_SECONDS = float(os.environ.get("REPLICA_LAG_CHECK_SECONDS", "2"))
# Seconds a client is told to wait (Retry-After) while the database is unreachable (geo/outage.py).
DATABASE_RETRY_AFTER = int(os.environ.get("DATABASE_RETRY_AFTER", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Shared by every web worker on every app server (rate limits, throttles): a table in the same
# database, created by migration incidents 0004_cache_table. Live entries are never dropped to make
# room (common/cache.py); past MAX_ENTRIES rows each write also deletes the expired ones.
CACHES = {
    "default": {
        "BACKEND": "common.cache.SharedDatabaseCache",
        "LOCATION": "geo_cache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}
# How long the public statistics page reuses its numbers (0: work them out on every visit).
STATS_CACHE_SECONDS = int(os.environ.get("STATS_CACHE_SECONDS", "60"))
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# Axes first: it refuses locked-out sign-ins before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Grants common.admin.ADMINISTER to administrators (agencies.selectors.is_administrator).
    "agencies.backends.AdministratorBackend",
]
CSRF_FAILURE_VIEW = "geo.views.csrf_failure"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Where `make backup` (manage.py backup) writes its folders (database dump + stored files).
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))
# Uploaded files go to local disk unless an S3-compatible bucket is configured (common/s3.py: objects
# whole or absent, none left by a rollback, never public-readable).
_S3_BUCKET = os.environ.get("S3_BUCKET", "")
_S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
_S3_REGION = os.environ.get("S3_REGION", "")
# A private file (not shown publicly) is handed out, after the permission check, as a redirect to a
# signed URL of the bucket valid this long: enough to start a download, too short to share.
S3_SIGNED_URL_SECONDS = int(os.environ.get("S3_SIGNED_URL_SECONDS", "300"))
# Where browsers fetch those signed URLs (for the Content-Security-Policy): the endpoint's origin,
# or AWS's own for the bucket.
S3_ORIGIN = (
    ""
    if not _S3_BUCKET
    else os.environ.get("S3_ORIGIN")
    or (_S3_ENDPOINT_URL or f"https://{_S3_BUCKET}.s3{f'.{_S3_REGION}' if _S3_REGION else ''}.amazonaws.com")
)
# A public photo is served by the application with this max-age (and an ETag: a cheap 304 after):
# shared caches and CDNs may keep it this long, so a photo staff hide is gone everywhere within it.
PUBLIC_FILE_MAX_AGE = int(os.environ.get("PUBLIC_FILE_MAX_AGE", "3600"))
STORAGES = {
    "default": (
        {
            "BACKEND": "common.s3.AtomicS3Storage",
            "OPTIONS": {
                "bucket_name": _S3_BUCKET,
                "endpoint_url": _S3_ENDPOINT_URL or None,
                "access_key": os.environ.get("S3_ACCESS_KEY", ""),
                "secret_key": os.environ.get("S3_SECRET_KEY", ""),
                "region_name": _S3_REGION or None,
            },
        }
        if _S3_BUCKET
        # Files whole or absent, none left by a rollback (common/storage.py).
        else {"BACKEND": "common.storage.AtomicFileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# HTTPS hardening is on whenever DEBUG is off, unless the deployment says it
# terminates plain HTTP on purpose (the local `make run`).
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
# Behind our own reverse proxy: trust its X-Forwarded-Proto and the address it
# appends to X-Forwarded-For (the audit log and intake throttling use it).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    # Session for the site's own scripts, token for the mobile app. Session first keeps "not signed in"
    # answered with 403 as before; the account API (accounts/api.py) puts the token first and answers 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
}
# The most items one page of an API list holds: a larger ?limit= is lowered to it (the `next` link goes on).
API_MAX_PAGE_SIZE = int(os.environ.get("API_MAX_PAGE_SIZE", "1000"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Phản ánh hiện trường API",
    "DESCRIPTION": "Citizen feedback, routing by map location, and geofenced warnings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two choice sets are named "kind" (a report's, a warning area part's): each keeps one stable name.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "incidents.models.ReportKind",
        "AreaPartKindEnum": "alerts.models.AlertAreaPart.Kind",
    },
}

# --- GIS -------------------------------------------------------------------
GEO_SRID = 4326
# Points this close (metres) to a unit but outside all of them still belong to
# the nearest unit: GPS drift on river banks and the coast.
BOUNDARY_TOLERANCE_M = float(os.environ.get("BOUNDARY_TOLERANCE_M", "200"))
# Vertices per subdivided piece used for point lookups.
BOUNDARY_PIECE_MAX_VERTICES = int(os.environ.get("BOUNDARY_PIECE_MAX_VERTICES", "64"))
# An outside raster tile server, used when no basemap of our own is imported (manage.py basemap_import);
# empty (the default): no outside tiles, our boundaries and their names carry the map.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")
MAP_DEFAULT_CENTER = (11.36, 106.13)  # Tây Ninh (lat, lng)

# --- Reports ---------------------------------------------------------------
# Working days to answer when a category does not say (Vietnamese holidays excluded).
REPORT_DEADLINE_DAYS = int(os.environ.get("REPORT_DEADLINE_DAYS", "10"))
# The province's office hours on working days (Vietnam time; weekends and public holidays closed): an ordinary
# report filed outside them is acknowledged with the next opening, when its processing starts.
OFFICE_HOURS = os.environ.get("OFFICE_HOURS", "07:30-11:30,13:30-17:00")
# The province's Zalo Official Account and Facebook page (e.g. https://zalo.me/<OA id>): shown as links and QR
# codes in the site's footer; empty, not shown.
ZALO_OA_URL = os.environ.get("ZALO_OA_URL", "")
FACEBOOK_PAGE_URL = os.environ.get("FACEBOOK_PAGE_URL", "")
# Days after the answer during which the reporter may reopen a report, once.
REPORT_REOPEN_DAYS = int(os.environ.get("REPORT_REOPEN_DAYS", "7"))
# The reporter's link (rate, reopen, see a hidden report) works this many days after it was sent.
REPORTER_TOKEN_DAYS = int(os.environ.get("REPORTER_TOKEN_DAYS", "30"))
# "I have this problem too": requests per hour from one address (anonymous) or one account.
SUPPORT_RATE = os.environ.get("SUPPORT_RATE", "10/hour")
# Open311 GeoReport v2 (/open311/v2/): the one jurisdiction this deployment serves (a client's other
# jurisdiction_id is refused; none is fine), requests per API key, and what discovery tells clients.
OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "tayninh.gov.vn")
OPEN311_KEY_RATE = os.environ.get("OPEN311_KEY_RATE", "600/hour")
OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "Quản trị hệ thống phản ánh hiện trường: 1022@tayninh.gov.vn")
OPEN311_ENDPOINT_TYPE = os.environ.get("OPEN311_ENDPOINT_TYPE", "production")
# The e-mail channel (channels.mail): the intake mailbox the worker polls over IMAP every minute; off while
# INTAKE_IMAP_HOST is unset. INTAKE_IMAP_SSL (on by default) speaks IMAP over TLS, port 993 unless set.
INTAKE_IMAP_HOST = os.environ.get("INTAKE_IMAP_HOST", "")
INTAKE_IMAP_SSL = env_bool("INTAKE_IMAP_SSL", True)
INTAKE_IMAP_PORT = int(os.environ.get("INTAKE_IMAP_PORT") or (993 if INTAKE_IMAP_SSL else 143))
INTAKE_IMAP_USER = os.environ.get("INTAKE_IMAP_USER", "")
INTAKE_IMAP_PASSWORD = os.environ.get("INTAKE_IMAP_PASSWORD", "")
# Attachments: each file at most this size, at most this many per report.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_MB", "25")) * 1024 * 1024
ATTACHMENT_MAX_COUNT = int(os.environ.get("ATTACHMENT_MAX_COUNT", "10"))
# Each kind's own limit, within ATTACHMENT_MAX_BYTES (the largest any file may be): a voice message of
# several minutes or a scanned reply of a few pages fits in 10 MB.
IMAGE_MAX_BYTES = int(os.environ.get("IMAGE_MAX_MB", "25")) * 1024 * 1024
VIDEO_MAX_BYTES = int(os.environ.get("VIDEO_MAX_MB", "25")) * 1024 * 1024
AUDIO_MAX_BYTES = int(os.environ.get("AUDIO_MAX_MB", "10")) * 1024 * 1024
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_MB", "10")) * 1024 * 1024
# Images larger than this many pixels are refused (decompression bombs).
IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", "40000000"))
# All the images of one report together: decoding costs CPU by the pixel (about 1 s for 40 million),
# so this bounds what one request may cost. Ten 12-megapixel phone photos fit.
IMAGE_MAX_TOTAL_PIXELS = int(os.environ.get("IMAGE_MAX_TOTAL_PIXELS", "150000000"))
# Longest side of stored images and of thumbnails, in pixels.
IMAGE_MAX_SIDE = int(os.environ.get("IMAGE_MAX_SIDE", "2560"))
THUMBNAIL_SIDE = int(os.environ.get("THUMBNAIL_SIDE", "320"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Request bodies (declared Content-Length) above these answer 413 before anything is read: the report
# uploads (URL names below) take every attachment plus 1 MB of form fields, every other endpoint 2 MB.
# The reverse proxy's limit (nginx client_max_body_size) should equal REQUEST_UPLOAD_MAX_BYTES.
REQUEST_MAX_BYTES = int(os.environ.get("REQUEST_MAX_MB", "2")) * 1024 * 1024
REQUEST_UPLOAD_MAX_BYTES = ATTACHMENT_MAX_COUNT * ATTACHMENT_MAX_BYTES + 1024 * 1024
REQUEST_UPLOAD_URL_NAMES = frozenset({"reports", "report-new", "staff-report-answer", "report-answer"})
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# Anonymous senders answer an image captcha (letters only); people who cannot see it listen to it instead:
# flite (Debian, scripts/system-deps.sh) reads the letters aloud offline. Empty (no flite): the picture only.
CAPTCHA_FLITE_PATH = os.environ.get("CAPTCHA_FLITE_PATH", shutil.which("flite") or "") or None
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_LETTER_ROTATION = (-20, 20)
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.random_char_challenge"
# Anonymous reports per device (a signed cookie; API and form), e.g. "30/hour"; empty lifts
# the limit (the intake benchmark does). Signed-in people are not limited by it.
INTAKE_ANON_RATE = os.environ.get("INTAKE_ANON_RATE", "30/hour") or None
# Anonymous reports per client address, all devices together: only an outer bound, as mobile
# networks put many people behind one address. Empty lifts it.
INTAKE_ANON_IP_RATE = os.environ.get("INTAKE_ANON_IP_RATE", "600/hour") or None
# Captchas from GET /api/v1/captcha per device (per address for callers without the device cookie),
# all devices of an address together ten times as many; empty lifts the limit.
CAPTCHA_API_RATE = os.environ.get("CAPTCHA_API_RATE", "60/hour") or None
# A Nominatim-compatible geocoder for street addresses; empty turns it off.
GEOCODER_URL = os.environ.get("GEOCODER_URL", "")
GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "phan-anh-hien-truong")

# --- Notifications -------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if not os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Phản ánh hiện trường <no-reply@localhost>")
# SMS: "console" prints (development); "http" posts to the gateway below.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
SMS_SENDER = os.environ.get("SMS_SENDER", "PHANANH")
SMS_TIMEOUT = float(os.environ.get("SMS_TIMEOUT", "10"))
# Facebook Messenger (channels.chat): the app secret (signs the webhook's deliveries), the verify token
# typed into the app's webhook settings, the page access token (Send API) and the Graph API base with
# its version. The channel is off, and /webhooks/messenger answers 404, unless the three secrets are set.
MESSENGER_APP_SECRET = os.environ.get("MESSENGER_APP_SECRET", "")
MESSENGER_VERIFY_TOKEN = os.environ.get("MESSENGER_VERIFY_TOKEN", "")
MESSENGER_PAGE_TOKEN = os.environ.get("MESSENGER_PAGE_TOKEN", "")
MESSENGER_API_BASE = os.environ.get("MESSENGER_API_BASE", "https://graph.facebook.com/v25.0")
# The worker (`manage.py worker`): a heartbeat every WORKER_HEARTBEAT_SECONDS; a worker silent for
# WORKER_STALLED_SECONDS counts as dead, and common.tasks.retry_stalled_jobs (on WORKER_STALLED_CRON,
# a cron line, a sixth field for seconds) hands the jobs it held to the living.
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "10"))
WORKER_STALLED_SECONDS = float(os.environ.get("WORKER_STALLED_SECONDS", "30"))
WORKER_STALLED_CRON = os.environ.get("WORKER_STALLED_CRON", "* * * * *")
# Stored files no row points at (left by a killed web worker: common.storage), under these folders of
# MEDIA_ROOT or of the S3 bucket, are deleted by a daily job once older than MEDIA_ORPHAN_SECONDS (longer
# than any transaction).
MEDIA_ORPHAN_FOLDERS = ["reports", "chat"]
MEDIA_ORPHAN_SECONDS = float(os.environ.get("MEDIA_ORPHAN_SECONDS", str(24 * 3600)))
MEDIA_ORPHAN_CRON = os.environ.get("MEDIA_ORPHAN_CRON", "17 3 * * *")
# Longest wait (seconds) before `manage.py worker` starts the worker again after it stopped on an error.
WORKER_BACKOFF_MAX = float(os.environ.get("WORKER_BACKOFF_MAX", "30"))
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": WORKER_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": WORKER_STALLED_SECONDS,
}
# Zalo Official Account (channels.chat.zalo): off, and its webhook 404, unless the app id and the OA
# secret key are set. ZALO_REFRESH_TOKEN is only the first refresh token: each refresh returns a new
# one, kept in the database (chat.PlatformToken).
ZALO_APP_ID = os.environ.get("ZALO_APP_ID", "")
ZALO_OA_SECRET_KEY = os.environ.get("ZALO_OA_SECRET_KEY", "")
ZALO_APP_SECRET = os.environ.get("ZALO_APP_SECRET", "")
ZALO_REFRESH_TOKEN = os.environ.get("ZALO_REFRESH_TOKEN", "")
ZALO_API_BASE = os.environ.get("ZALO_API_BASE", "https://openapi.zalo.me")
ZALO_OAUTH_BASE = os.environ.get("ZALO_OAUTH_BASE", "https://oauth.zaloapp.com")
# The code of Zalo's domain check: the site then serves /zalo_verifier<code>.html.
ZALO_SITE_VERIFICATION = os.environ.get("ZALO_SITE_VERIFICATION", "")
# A chat conversation silent this long is closed with a message (what it collected stays): a day less
# an hour, so the message still falls in Messenger's 24-hour answering window.
CHAT_IDLE_HOURS = float(os.environ.get("CHAT_IDLE_HOURS", "23"))
# Public address of the site, for links in messages.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")


def _local_vapid_keys() -> tuple[str, str]:
    # Web Push (warnings): like the secret key, a per-checkout VAPID key pair kept
    # under .var/ when the environment gives none. Returns (private, public),
    # both base64url: the raw private scalar and the uncompressed public point.
    import base64

    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    path = VAR_DIR / "vapid-private-key"
    try:
        private = path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
        private = base64.urlsafe_b64encode(scalar.to_bytes(32, "big")).decode().rstrip("=")
        path.write_text(private)
        path.chmod(0o600)
    scalar = int.from_bytes(base64.urlsafe_b64decode(private + "=" * (-len(private) % 4)), "big")
    public_key = ec.derive_private_key(scalar, ec.SECP256R1()).public_key()
    point = public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return private, base64.urlsafe_b64encode(point).decode().rstrip("=")


VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "")
if not VAPID_PRIVATE_KEY:
    VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY = _local_vapid_keys()
# Who runs the push sender: push services contact this address about problems.
VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:canhbao@localhost")
# Browser subscriptions: live ones per account and per address without an account; failed sends in
# a row before one is dropped. PUSH_ALLOW_LOOPBACK (tests only) accepts http endpoints on loopback.
PUSH_MAX_PER_USER = int(os.environ.get("PUSH_MAX_PER_USER", "10"))
PUSH_MAX_PER_ADDRESS = int(os.environ.get("PUSH_MAX_PER_ADDRESS", "50"))
PUSH_MAX_FAILURES = int(os.environ.get("PUSH_MAX_FAILURES", "3"))
PUSH_ALLOW_LOOPBACK = False
# Warning previews (staff): at most this many per user, in the shared cache ("" lifts the limit).
ALERT_PREVIEW_RATE = os.environ.get("ALERT_PREVIEW_RATE", "30/hour")
# People per delivery job of a warning's fan-out: the jobs are shared out among the workers.
ALERT_DELIVERY_BATCH = int(os.environ.get("ALERT_DELIVERY_BATCH", "1000"))

# --- Citizen accounts ---------------------------------------------------------
# One-time codes: lifetime, wrong tries per code, and limits on sending them (SMS costs money).
OTP_TTL_SECONDS = int(os.environ.get("OTP_TTL_SECONDS", "60"))
OTP_MAX_ATTEMPTS = int(os.environ.get("OTP_MAX_ATTEMPTS", "5"))
OTP_RESEND_SECONDS = int(os.environ.get("OTP_RESEND_SECONDS", str(OTP_TTL_SECONDS)))
OTP_MAX_PER_TARGET_PER_HOUR = int(os.environ.get("OTP_MAX_PER_TARGET_PER_HOUR", "5"))
OTP_MAX_PER_IP_PER_HOUR = int(os.environ.get("OTP_MAX_PER_IP_PER_HOUR", "20"))
# Password guessing: 5 failures for one account name from one IP lock that pair out for 15 minutes.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "common.http.client_ip"
# Social sign-in. A provider is offered only when its client id is set; no SocialApp rows needed.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # linking by verified e-mail is our adapter's job
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
GOOGLE_CLIENT_ID = os.environ.get("GOOGLE_CLIENT_ID", "")
GOOGLE_CLIENT_SECRET = os.environ.get("GOOGLE_CLIENT_SECRET", "")
NATIONAL_PORTAL_OIDC_URL = os.environ.get("NATIONAL_PORTAL_OIDC_URL", "")
NATIONAL_PORTAL_OIDC_CLIENT_ID = os.environ.get("NATIONAL_PORTAL_OIDC_CLIENT_ID", "")
NATIONAL_PORTAL_OIDC_SECRET = os.environ.get("NATIONAL_PORTAL_OIDC_SECRET", "")
NATIONAL_PORTAL_NAME = os.environ.get("NATIONAL_PORTAL_NAME", "Cổng Dịch vụ công quốc gia")
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    "google": {
        "APPS": (
            [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}] if GOOGLE_CLIENT_ID else []
        ),
        "SCOPE": ["openid", "profile", "email"],
    },
    "openid_connect": {
        "APPS": (
            [
                {
                    "provider_id": "dichvucong",
                    "name": NATIONAL_PORTAL_NAME,
                    "client_id": NATIONAL_PORTAL_OIDC_CLIENT_ID,
                    "secret": NATIONAL_PORTAL_OIDC_SECRET,
                    "settings": {
                        "server_url": NATIONAL_PORTAL_OIDC_URL,
                        "scope": ["openid", "profile", "email", "phone"],
                    },
                }
            ]
            if NATIONAL_PORTAL_OIDC_URL and NATIONAL_PORTAL_OIDC_CLIENT_ID
            else []
        ),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "procrastinate": {"level": os.environ.get("WORKER_LOG_LEVEL", "WARNING")},
    },
}

# gis.W001 warns that GDAL < 3.9 (Debian 12 ships 3.6) cannot refuse file and
# network access from a crafted spatial reference string. This service never
# builds a SpatialReference from request data: only from integer SRIDs and
# from boundary files an administrator imports.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
