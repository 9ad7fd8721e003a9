"""Salesdesk settings: one module, every deploy-time value from the environment.

With nothing set, it runs on the embedded defaults: SQLite under var/, a filesystem Celery broker
under var/, messages kept in the outbox. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and DEBUG=0.
"""

import contextlib
import json
import os
import secrets
import tomllib
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SALESDESK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# pytest sets PYTEST_VERSION for the whole session (pytest >= 8.2).
TESTING = "PYTEST_VERSION" in os.environ


def envbool(name, default):
    return os.environ.get(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def envint(name, default):
    return int(os.environ.get(name, default))


def envlist(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key():
    """SECRET_KEY, or a key generated once into var/secret_key, readable by its owner only (mode
    600). Written to a private temporary file and linked into place, so two processes starting at
    once read the same whole key."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        temporary = VAR_DIR / f".secret_key.{os.getpid()}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
        try:
            # If another process linked its key first, this link fails and its key is read below.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, key_file)
        finally:
            temporary.unlink()
    if key_file.stat().st_mode & 0o077:
        key_file.chmod(0o600)  # written by an earlier release, readable by others
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# The department's apps, in the order they depend on each other, are listed once, in pyproject.toml
# ([tool.salesdesk] apps): the core names none of them, and each plugs itself in from its AppConfig.
with open(BASE_DIR / "pyproject.toml", "rb") as pyproject:
    DEPARTMENT_APPS = tomllib.load(pyproject)["tool"]["salesdesk"]["apps"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "import_export",
    "django_celery_beat",
    "axes",
    "salesdesk",
    *DEPARTMENT_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "salesdesk.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "salesdesk.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "salesdesk.urls"
WSGI_APPLICATION = "salesdesk.wsgi.application"

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
                "salesdesk.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'salesdesk.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A worker and the web process write at once: take the write lock up front and wait for it
    # (RECIPES.md: 400 of 400 concurrent writers succeed this way, 93 of 400 without).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so a Celery worker thread and the live server see the test data;
    # one per test run, so two runs at once do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

# What a person may choose on the password-change page (the demo users' password is set by
# seed_demo, which does not ask the validators).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
_NODE = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    (prefix, path)
    for prefix, path in [
        ("vendor/bootstrap", _NODE / "bootstrap" / "dist"),
        ("vendor/bootstrap-icons", _NODE / "bootstrap-icons" / "font"),
        ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ]
    if path.exists()
]
# Hashed, compressed names from the manifest only where `collectstatic` has written one (bin/run,
# the Docker image); anywhere else (a checkout that never collected, DEBUG, tests) WhiteNoise
# serves the files straight from the finders, so `manage.py runserver` works without a collect step.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING or DEBUG
        else "salesdesk.storage.StaticStorage"  # the manifest's names once collected, plain ones before
    },
}
WHITENOISE_USE_FINDERS = DEBUG or not (STATIC_ROOT / "staticfiles.json").exists()
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: downloads go through views that ask the policy
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
SALESDESK_UPLOAD_MAX_BYTES = envint("SALESDESK_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
SALESDESK_IMPORT_MAX_BYTES = envint("SALESDESK_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# An import whose worker has given no sign of life for this long is marked failed by the sweep.
SALESDESK_IMPORT_LEASE_SECONDS = envint("SALESDESK_IMPORT_LEASE_SECONDS", 600)

# Security: safe by default, strict when DEBUG is off behind TLS.
# Sessions live in the database, which every process shares: a logout ends the session for all
# of them at once, and the web keeps working with the cache (Redis) down.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if envbool("SECURE_COOKIES", False):  # production (behind TLS) sets SECURE_COOKIES=1
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container health check speaks plain HTTP
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies in front of the web process (docker-compose.yml: the TLS proxy, 1). With 0 the
# client's address is the connection's; otherwise the one that many hops back in X-Forwarded-For.
PROXY_COUNT = envint("PROXY_COUNT", 0)

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user name (from
# any address), or SALESDESK_ADDRESS_FAILURE_LIMIT from one address (for any user names: a whole
# office may share one address), logins are refused for AXES_COOLOFF_TIME; the lockout page says
# until when, and the department manager can lift it (/access/lockouts/). Attempts are kept in the
# database, shared by every process (salesdesk.lockouts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "salesdesk.lockouts.LockoutHandler"
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
SALESDESK_ADDRESS_FAILURE_LIMIT = envint("SALESDESK_ADDRESS_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the time the page names holds
AXES_LOCKOUT_CALLABLE = "salesdesk.lockouts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "salesdesk.lockouts.client_ip"
AXES_ENABLE_ADMIN = False  # unlocking goes through the manager's audited page
AXES_DISABLE_ACCESS_LOG = True  # no row per successful login that nothing reads (the user's last_login says it)
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = []  # the security log names the user name and address (never the password)

REDIS_URL = os.environ.get("REDIS_URL", "")

# Cache: Redis when REDIS_URL is set (shared by every web process), otherwise in-process memory.
# It only speeds reads (choice lists, the audit page's names): with Redis down every read goes to
# the database and nothing fails (salesdesk.cache.FailSoftRedisCache); sessions are in the database.
CACHES = {
    "default": {
        "BACKEND": "salesdesk.cache.FailSoftRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "salesdesk",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport under var/ (no server).
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
elif TESTING:
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    for _folder in ("queue", "control", "processed"):  # kombu does not create them (RECIPES.md)
        (CELERY_BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "salesdesk.tasks.outbox_sweep", "schedule": 60.0},
    "import-sweep": {"task": "salesdesk.tasks.import_sweep", "schedule": 60.0},
}

# Outbound channels. Every message goes through the outbox; a channel's backend only delivers.
# The default backends keep the message in the outbox (marked delivered locally) so a clerk can
# read it; production points SMS/fax/e-mail at the gateways.
SALESDESK_CHANNEL_BACKENDS = json.loads(
    os.environ.get(
        "SALESDESK_CHANNEL_BACKENDS",
        json.dumps(
            {
                "sms": "salesdesk.channels.LocalBackend",
                "fax": "salesdesk.channels.LocalBackend",
                "email": "salesdesk.channels.EmailBackend",
            }
        ),
    )
)
# A worker's claim on a message lasts the lease (never less than twice the provider timeout and
# 10 s: a send still running cannot outlive its claim); past it the sweep gives the row to another
# worker. Every provider call has a timeout: EMAIL_TIMEOUT (SMTP), SALESDESK_PROVIDER_TIMEOUT (the
# HTTP of SMS and fax gateways). The sweep (every minute) re-enqueues a queued row only when no
# task for it is expected any more (handed to the broker over SALESDESK_OUTBOX_REDISPATCH_SECONDS
# ago, or refused by it), at most SALESDESK_OUTBOX_SWEEP_BATCH rows a run.
SALESDESK_OUTBOX_LEASE_SECONDS = envint("SALESDESK_OUTBOX_LEASE_SECONDS", 300)
SALESDESK_OUTBOX_MAX_ATTEMPTS = envint("SALESDESK_OUTBOX_MAX_ATTEMPTS", 6)
SALESDESK_OUTBOX_REDISPATCH_SECONDS = envint("SALESDESK_OUTBOX_REDISPATCH_SECONDS", 600)
SALESDESK_OUTBOX_SWEEP_BATCH = envint("SALESDESK_OUTBOX_SWEEP_BATCH", 200)
SALESDESK_PROVIDER_TIMEOUT = envint("SALESDESK_PROVIDER_TIMEOUT", 30)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.locmem.EmailBackend"
    if TESTING
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "sent-mail"
# The mail server (with EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)  # implicit TLS, usually port 465 (not with EMAIL_USE_TLS)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)  # seconds for each SMTP step: well below the outbox lease
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "salesdesk@localhost")

# Numbering: one format per series kind; {seq} is the gapless counter of the series that the
# other fields name (one series per region, per grade and region, per month...).
SALESDESK_NUMBER_FORMATS = {
    "dealer_resource": "ZY-{region}-{seq:04d}",
    "authorized_dealer": "SQ-{grade}-{region}-{seq:04d}",
    "ticket": "SH-{yyyymm}-{seq:04d}",
    **json.loads(os.environ.get("SALESDESK_NUMBER_FORMATS", "{}")),
}

SALESDESK_COMPANY_NAME = os.environ.get("SALESDESK_COMPANY_NAME", "隆瑞农业机械有限公司")
SALESDESK_ACCESS_GRANT_MAX_DAYS = 30

# A refused request (403) is one line in var/log/security.log — who, what, where — and no traceback
# on the terminal (salesdesk.logs); failed logins and lockouts go to the same file.
LOG_DIR = VAR_DIR / "log"
LOG_DIR.mkdir(parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "salesdesk.logs.RefusalFilter"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "security": {
            "class": "logging.handlers.WatchedFileHandler", "filename": str(LOG_DIR / "security.log"),
            "formatter": "line", "delay": True, "encoding": "utf-8",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["refusals"]},
        "salesdesk.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["security"], "level": "WARNING", "propagate": False},
    },
}
