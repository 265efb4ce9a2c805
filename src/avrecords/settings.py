"""Django settings; every knob is an environment variable listed in docs/configuration.md."""

from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import dj_database_url

from avrecords.config import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_patterns,
    env_str,
    home_dir,
    secret_key,
    two_factor_roles,
)

BASE_DIR = Path(__file__).resolve().parent
AVRECORDS_HOME = home_dir()

SECRET_KEY = secret_key(AVRECORDS_HOME)
DEBUG = env_bool("AVRECORDS_DEBUG", False)
ALLOWED_HOSTS = env_list("AVRECORDS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("AVRECORDS_CSRF_TRUSTED_ORIGINS", [])
# The reverse proxy in front of `avrecords serve`: the client's address and scheme are then
# taken from its X-Forwarded-For / X-Forwarded-Proto (issue 15 rows 5, 9, 13; `avrecords serve`)
AVRECORDS_TRUSTED_PROXY = env_str("AVRECORDS_TRUSTED_PROXY", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",  # two-factor sign-in (issue 18 §5): TOTP devices and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # not "ninja": as an app its package was imported in every command's set-up, and with it
    # pydantic and the API machinery (~0.1 s by -X importtime, issue 22 §1). Its files are
    # found without it (NINJA_FILES below); its export_openapi_schema command is web's.
    # not "django_tasks": as an app its package was imported in every command's set-up, and
    # with it django_stubs_ext.monkeypatch() (which imports the admin, sitemaps, syndication)
    # and importlib.metadata (~20 ms, issue 22 §1). It has no models; avrecords.jobs registers
    # its backends' system check and avrecords.jobs.tasks connects its signals when it loads.
    # not "huey.contrib.djhuey": as an app it built the queue (and imported redis and psycopg)
    # in every command's set-up; avrecords.jobs.queue and the worker import it when they send
    # or run a job (issue 22 §1). Its run_huey command is unused: `avrecords worker` runs jobs.
    "avrecords.audit",
    "avrecords.org",
    "avrecords.notices",
    "avrecords.policies",
    "avrecords.equipment",
    "avrecords.jobs",
    "avrecords.recordings",
    "avrecords.stations",  # collection stations (issue 19): above recordings, below fixity
    "avrecords.fixity",
    "avrecords.compliance",
    "avrecords.cases",
    "avrecords.redaction",  # redacted copies (issue 21): beside compliance and cases
    "avrecords.access",
    "avrecords.evidence",
    "avrecords.retention",
    "avrecords.supervision",
    "avrecords.agency",
    "avrecords.web",
    # the admin after web: web's templates/admin/base_site.html carries the banner, and the
    # site makes every model read-only unless AVRECORDS_ADMIN_WRITABLE (issue 18 §1, §4)
    "avrecords.web.admin_site.EmergencyAdminConfig",
    "avrecords.upgrade",
    "avrecords.demo",
]

MIDDLEWARE = [
    # first: every error answer under /api/ becomes JSON, whoever made it (issue 15 row 16)
    "avrecords.web.middleware.ApiJsonErrorsMiddleware",
    "avrecords.web.body_limits.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "avrecords.web.security_headers.SecurityHeadersMiddleware",
    "avrecords.web.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "avrecords.recordings.uploads.UploadStreamingMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "avrecords.web.idle_timeout.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # the session's second factor (django-otp), then: no page before it (issue 18 §5)
    "django_otp.middleware.OTPMiddleware",
    "avrecords.web.two_factor_middleware.TwoFactorMiddleware",
    # a password an administrator set: changed before any other page (issue 18 §1)
    "avrecords.web.password_change_required.PasswordChangeRequiredMiddleware",
    "avrecords.web.input_limits.InputLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # a service's typed refusal (403/404/409/422) becomes the page that says why (issue 16 §5)
    "avrecords.web.refusal_pages.RefusalPagesMiddleware",
    # last: turns a refused sign-in of a locked account or address into the lockout answer
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "avrecords.urls"
WSGI_APPLICATION = "avrecords.wsgi.application"

# django-ninja's templates and static files (the API docs page's Swagger UI from our own
# static files, not a CDN: `avrecords.api.OwnSwagger`), located without importing ninja.
NINJA_FILES = Path(find_spec("ninja").origin).parent
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [NINJA_FILES / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "avrecords.web.context.roles",
            ],
        },
    },
]

_default_db = f"sqlite:///{AVRECORDS_HOME / 'avrecords.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers up front, so the audit chain head
    # is never read by two writers at once; WAL lets readers run beside them.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server must fail fast (web answers 503, workers back off) rather than
    # hang on the operating system's TCP timeout. A connect_timeout in the URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("AVRECORDS_DB_CONNECT_TIMEOUT_SECONDS", 10, minimum=1)
    )
AVRECORDS_DB_RETRY_MAX_SECONDS = env_int("AVRECORDS_DB_RETRY_MAX_SECONDS", 30, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"  # a system administrator not yet set up: /setup/ (agency.views_setup)
# The Django admin is read-only unless set (emergencies; every change audited; issue 18 §1)
AVRECORDS_ADMIN_WRITABLE = env_bool("AVRECORDS_ADMIN_WRITABLE", False)
LOGOUT_REDIRECT_URL = "/login/"

# --- Sign-in throttling (issue 15 row 5; web/login_throttle.py, docs/configuration.md) ---
AUTHENTICATION_BACKENDS = ["avrecords.web.login_throttle.LoginBackend"]
AVRECORDS_LOGIN_FAILURE_LIMIT = env_int("AVRECORDS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AVRECORDS_LOGIN_ADDRESS_FAILURE_LIMIT = env_int(
    "AVRECORDS_LOGIN_ADDRESS_FAILURE_LIMIT", 30, minimum=1
)
AVRECORDS_LOGIN_LOCKOUT_MINUTES = env_int("AVRECORDS_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_ENABLED = True
AXES_HANDLER = "avrecords.web.login_throttle.LoginAttemptHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each alone: per account, per address
AXES_FAILURE_LIMIT = AVRECORDS_LOGIN_FAILURE_LIMIT  # the address limit: LoginAttemptHandler
AXES_COOLOFF_TIME = timedelta(minutes=AVRECORDS_LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_CALLABLE = "avrecords.web.login_throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True  # the account's failures only (LoginAttemptHandler)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused, not counted, while locked
AXES_DISABLE_ACCESS_LOG = True  # sign-ins and sign-outs are in the audit log
AXES_ENABLE_ADMIN = False  # locks are lifted on /account/lockouts/, audited
AXES_VERBOSE = False

# --- Two-factor sign-in (issue 18 §5; agency/two_factor.py, docs/configuration.md) -------
# The role codes of org.models.Role (tests/test_two_factor.py checks the two agree).
_ROLE_CODES = ("officer", "admin", "unit_head", "leader", "supervisor", "archivist", "sysadmin")
AVRECORDS_TWO_FACTOR_ROLES = two_factor_roles(AVRECORDS_HOME, ["sysadmin", "leader"], _ROLE_CODES)
# The emergency admin never shows a two-factor device's secret key or QR code: whoever read
# them could produce that person's codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Wrong codes are bounded by agency/two_factor.py (the sign-in limit and lock time above), not
# by django-otp's doubling delays, which would also refuse a right code typed a second later.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# --- Passwords, sessions, TLS (issue 15 row 13; docs/configuration.md) ------------------
AVRECORDS_PASSWORD_MIN_LENGTH = env_int("AVRECORDS_PASSWORD_MIN_LENGTH", 10, minimum=8)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "avrecords.org.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": AVRECORDS_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A session ends this long after its last request (web/idle_timeout.py keeps it alive).
AVRECORDS_SESSION_IDLE_MINUTES = env_int("AVRECORDS_SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = AVRECORDS_SESSION_IDLE_MINUTES * 60
# Served over HTTPS (directly or by a proxy recognised through AVRECORDS_TRUSTED_PROXY)
AVRECORDS_TLS = env_bool("AVRECORDS_TLS", False)
AVRECORDS_HSTS_SECONDS = env_int("AVRECORDS_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
if AVRECORDS_TLS:
    SECURE_HSTS_SECONDS = AVRECORDS_HSTS_SECONDS
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LANGUAGE_CODE = "zh-hans"
# Pages are in Chinese whatever the browser asks for: LocaleMiddleware picks only from these,
# so Django's own texts (form errors, password rules) never reach a user in English.
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = env_str("AVRECORDS_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = AVRECORDS_HOME / "static"
STATICFILES_DIRS = [NINJA_FILES / "static"]  # static/ninja/: Swagger UI for the API docs
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads are streamed to disk by our own handler; nothing large is held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = str(AVRECORDS_HOME / "tmp")
for _dir in (AVRECORDS_HOME / "tmp", STATIC_ROOT):
    _dir.mkdir(exist_ok=True)

# --- AVRecords ---------------------------------------------------------------
AVRECORDS_STORE_PATH = Path(env_str("AVRECORDS_STORE_PATH", str(AVRECORDS_HOME / "store")))
AVRECORDS_DERIVED_PATH = Path(env_str("AVRECORDS_DERIVED_PATH", str(AVRECORDS_HOME / "derived")))
AVRECORDS_EXPORT_PATH = Path(env_str("AVRECORDS_EXPORT_PATH", str(AVRECORDS_HOME / "exports")))
AVRECORDS_UPLOAD_MAX_BYTES = env_int("AVRECORDS_UPLOAD_MAX_BYTES", 8 * 1024**3, minimum=1)
# An unfinished resumable upload is removed this long after its last part (issue 19 §3)
AVRECORDS_RESUMABLE_EXPIRE_HOURS = env_int("AVRECORDS_RESUMABLE_EXPIRE_HOURS", 24, minimum=1)
# Every other path: forms, JSON, the small imports (issue 15 row 9; web/body_limits.py)
AVRECORDS_REQUEST_MAX_BYTES = env_int("AVRECORDS_REQUEST_MAX_BYTES", 10 * 1024**2, minimum=65536)
AVRECORDS_COPY_CHUNK_BYTES = env_int("AVRECORDS_COPY_CHUNK_BYTES", 4 * 1024**2, minimum=65536)
AVRECORDS_FILENAME_PATTERNS = env_patterns(
    "AVRECORDS_FILENAME_PATTERNS", {"serial", "officer", "ts"}
)
AVRECORDS_JOB_LEASE_SECONDS = env_int("AVRECORDS_JOB_LEASE_SECONDS", 120, minimum=2)
AVRECORDS_JOB_MAX_ATTEMPTS = env_int("AVRECORDS_JOB_MAX_ATTEMPTS", 5, minimum=1)
AVRECORDS_JOB_REAP_SECONDS = env_int("AVRECORDS_JOB_REAP_SECONDS", 30, minimum=1)
AVRECORDS_PROXY_MAX_HEIGHT = env_int("AVRECORDS_PROXY_MAX_HEIGHT", 720, minimum=144)
# A sherpa-onnx keyword-spotting model directory for the notice check; empty = the built-in
# matcher alone (issue 20 §2; docs/notice-check.md). Nothing is downloaded.
AVRECORDS_NOTICE_KWS_MODEL = env_str("AVRECORDS_NOTICE_KWS_MODEL", "")
# Redacted copies (issue 21 §4): frames of work a second a redaction job may use (0 = no
# limit), so ingest and proxies are not starved; the longest stretch one copy may cover.
AVRECORDS_REDACTION_MAX_FPS = env_int("AVRECORDS_REDACTION_MAX_FPS", 0, minimum=0)
AVRECORDS_REDACTION_MAX_SECONDS = env_int("AVRECORDS_REDACTION_MAX_SECONDS", 7200, minimum=60)
AVRECORDS_PAGE_SIZE = env_int("AVRECORDS_PAGE_SIZE", 50, minimum=1)
# Lists count matching rows exactly up to this many, then estimate (M4 search at scale).
AVRECORDS_SEARCH_COUNT_CAP = env_int("AVRECORDS_SEARCH_COUNT_CAP", 2000, minimum=1)
# M5: a recording kept with no date (permanent, pending, held) is locked in the store this far
# ahead; the nightly store check moves the lock on before it runs out.
AVRECORDS_RETENTION_LOCK_DAYS = env_int("AVRECORDS_RETENTION_LOCK_DAYS", 400, minimum=30)
# M5: the hour (local time) after which workers make the day's disposal list and store check
AVRECORDS_RETENTION_DAILY_HOUR = env_int("AVRECORDS_RETENTION_DAILY_HOUR", 1, minimum=0)
# X1: signed anchors of the audit chain, kept outside the database (issue 15 row 10)
AVRECORDS_AUDIT_ANCHOR_DIR = Path(
    env_str("AVRECORDS_AUDIT_ANCHOR_DIR", str(AVRECORDS_HOME / "anchors"))
)
AVRECORDS_AUDIT_KEY_PATH = Path(
    env_str("AVRECORDS_AUDIT_KEY_PATH", str(AVRECORDS_HOME / "keys" / "audit-signing.key"))
)
AVRECORDS_AUDIT_KEY_ALGORITHM = env_choice(
    "AVRECORDS_AUDIT_KEY_ALGORITHM", "ed25519", ("ed25519", "sm2")
)
AVRECORDS_AUDIT_ANCHOR_DAILY_HOUR = env_int("AVRECORDS_AUDIT_ANCHOR_DAILY_HOUR", 2, minimum=0)
if AVRECORDS_AUDIT_ANCHOR_DAILY_HOUR > 23:
    from avrecords.config import ConfigError

    raise ConfigError("AVRECORDS_AUDIT_ANCHOR_DAILY_HOUR must be an hour from 0 to 23")

# --- S3 store of originals with Object Lock (M2); see docs/configuration.md ------------
AVRECORDS_STORE = env_str("AVRECORDS_STORE", "local")
AVRECORDS_S3_ENDPOINT = env_str("AVRECORDS_S3_ENDPOINT", "")
AVRECORDS_S3_BUCKET = env_str("AVRECORDS_S3_BUCKET", "")
AVRECORDS_S3_ACCESS_KEY = env_str("AVRECORDS_S3_ACCESS_KEY", "")
AVRECORDS_S3_SECRET_KEY = env_str("AVRECORDS_S3_SECRET_KEY", "")
AVRECORDS_S3_REGION = env_str("AVRECORDS_S3_REGION", "us-east-1")
AVRECORDS_S3_RETAIN_DAYS = env_int("AVRECORDS_S3_RETAIN_DAYS", 730, minimum=1)
AVRECORDS_S3_PART_BYTES = env_int("AVRECORDS_S3_PART_BYTES", 16 * 1024**2, minimum=5 * 1024**2)
AVRECORDS_S3_UPLOAD_THREADS = env_int("AVRECORDS_S3_UPLOAD_THREADS", 4, minimum=1)
AVRECORDS_S3_URL_SECONDS = env_int("AVRECORDS_S3_URL_SECONDS", 60, minimum=0)
AVRECORDS_S3_ATTEMPTS = env_int("AVRECORDS_S3_ATTEMPTS", 5, minimum=1)
AVRECORDS_S3_BACKOFF_MS = env_int("AVRECORDS_S3_BACKOFF_MS", 500, minimum=0)
AVRECORDS_S3_TIMEOUT_SECONDS = env_int("AVRECORDS_S3_TIMEOUT_SECONDS", 120, minimum=1)
# A key of its own for purge deletes only (M5); empty: the key above.
AVRECORDS_S3_PURGE_ACCESS_KEY = env_str("AVRECORDS_S3_PURGE_ACCESS_KEY", "")
AVRECORDS_S3_PURGE_SECRET_KEY = env_str("AVRECORDS_S3_PURGE_SECRET_KEY", "")
if AVRECORDS_STORE not in {"local", "s3"}:
    from avrecords.config import ConfigError

    raise ConfigError(f"AVRECORDS_STORE must be local or s3, got {AVRECORDS_STORE!r}")
if AVRECORDS_STORE == "s3" and not AVRECORDS_S3_BUCKET:
    from avrecords.config import ConfigError

    raise ConfigError("AVRECORDS_S3_BUCKET must be set when AVRECORDS_STORE=s3")
if bool(AVRECORDS_S3_PURGE_ACCESS_KEY) != bool(AVRECORDS_S3_PURGE_SECRET_KEY):
    from avrecords.config import ConfigError

    raise ConfigError(
        "AVRECORDS_S3_PURGE_ACCESS_KEY and AVRECORDS_S3_PURGE_SECRET_KEY go together (or neither)"
    )
# --- end of S3 block ---------------------------------------------------------------------

# 站内消息 also by email (issue 17 §3): off by default; on, it needs an SMTP server
AVRECORDS_EMAIL_NOTICES = env_bool("AVRECORDS_EMAIL_NOTICES", False)
EMAIL_HOST = env_str("AVRECORDS_EMAIL_HOST", "")
EMAIL_PORT = env_int("AVRECORDS_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("AVRECORDS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("AVRECORDS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("AVRECORDS_EMAIL_TLS", False)
EMAIL_TIMEOUT = env_int("AVRECORDS_EMAIL_TIMEOUT_SECONDS", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("AVRECORDS_EMAIL_FROM", "avrecords@localhost")
if AVRECORDS_EMAIL_NOTICES and not EMAIL_HOST:
    from avrecords.config import ConfigError

    raise ConfigError("AVRECORDS_EMAIL_HOST must be set when AVRECORDS_EMAIL_NOTICES is on")

_queue_url = env_str("AVRECORDS_QUEUE_URL", f"sqlite:///{AVRECORDS_HOME / 'queue.sqlite3'}")
HUEY = {
    # The name prefixes every Redis key, so installations (or test runs) can share one server.
    "name": env_str("AVRECORDS_QUEUE_NAME", "avrecords"),
    # Nobody reads task results (job rows hold the outcome); storing them would only grow
    # the queue's result store without bound.
    "results": False,
    "immediate": env_bool("AVRECORDS_QUEUE_IMMEDIATE", False),
    "consumer": {
        "workers": env_int("AVRECORDS_WORKER_THREADS", 2, minimum=1),
        "worker_type": "thread",
    },
}
if _queue_url.startswith("redis://"):
    HUEY.update({"huey_class": "huey.RedisHuey", "url": _queue_url})
elif _queue_url.startswith("sqlite:///"):
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": _queue_url[len("sqlite:///") :]})
elif _queue_url.startswith(("postgresql://", "postgres://")):
    # Huey's own PostgreSQL storage: SKIP LOCKED dequeue, LISTEN/NOTIFY wake-ups. Its tables
    # are created by `avrecords init` and `avrecords worker` (avrecords.jobs.queue), not at
    # import, so a process whose database is down still starts (and answers 503).
    HUEY.update(
        {
            "huey_class": "huey.PostgresHuey",
            "dsn": _queue_url,
            "create_tables": False,
            "connect_timeout": env_int("AVRECORDS_DB_CONNECT_TIMEOUT_SECONDS", 10, minimum=1),
        }
    )
else:
    from avrecords.config import ConfigError

    raise ConfigError("AVRECORDS_QUEUE_URL must start with sqlite:///, redis:// or postgresql://")

TASKS = {"default": {"BACKEND": "avrecords.lib.huey_tasks.HueyTaskBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "avrecords": {"handlers": ["console"], "level": env_str("AVRECORDS_LOG_LEVEL", "INFO")},
        "huey": {"handlers": ["console"], "level": "WARNING"},
    },
}
