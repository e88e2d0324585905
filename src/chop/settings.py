"""Django settings for Chop.

Everything that differs between machines comes from the environment (django-environ), with
embedded defaults that make a fresh checkout run: SQLite and local files under ``var/``, a secret
key generated once into ``var/secret_key``, console senders that also append to an outbox file.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent.parent

env = environ.Env()
environ.Env.read_env(ROOT_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("CHOP_VAR_DIR", default=str(ROOT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret(name: str, nbytes: int = 48) -> str:
    """Read a secret from ``var/``, generating it once: for local use only, never in production."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default=None) or _local_secret("secret_key")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "chop.accounts",
    "chop.orgs",
    "chop.audit",
    "chop.seals",
    "chop.verification",
    "chop.contracts",
    "chop.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chop.orgs.middleware.ActiveSpaceMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chop.urls"
WSGI_APPLICATION = "chop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chop.orgs.context.active_space",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'chop.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row locks, so select_for_update() does nothing there. IMMEDIATE transactions
    # take the database's write lock at BEGIN: two requests that read-then-write (approve a case,
    # transfer ownership) queue one behind the other as they would on PostgreSQL's row lock,
    # instead of both reading the old state and one failing with "database is locked" when it
    # upgrades to write. WAL lets readers go on beside the one writer (web process and task
    # worker share the file); the busy timeout is how long a writer waits in that queue.
    # synchronous=NORMAL is safe with WAL (a crash loses at most the last commits, never
    # consistency) and saves an fsync per commit.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
    # Tests use a file too, not shared-cache memory: shared cache locks whole tables and fails
    # at once ("database table is locked") where a file waits, so concurrency tests with one
    # connection per thread would test a different database than the one that runs.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(VAR_DIR / "test-chop.sqlite3")
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "chop.accounts.backends.PhoneOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed-login lockout (django-axes): five failures lock the account for fifteen minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "login"
# The admin login posts "username", the site's login posts "login": count both against the account,
# and show the translated lockout page for axes' own lockouts too.
AXES_USERNAME_CALLABLE = "chop.accounts.views.axes_username"
AXES_LOCKOUT_CALLABLE = "chop.accounts.views.lockout_response"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]  # project-wide CSS, icons and vendored htmx
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))

_storage_backend = env("CHOP_STORAGE", default="local")
STORAGES = {
    "default": (
        {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": env("CHOP_S3_BUCKET", default=""),
            "endpoint_url": env("CHOP_S3_ENDPOINT", default=None),
        }}
        if _storage_backend == "s3"
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: refuse anything larger than this before it reaches a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CHOP_MAX_UPLOAD_BYTES = env.int("CHOP_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)

# Background work: django-tasks with its database backend, so one machine needs nothing else.
TASKS = {"default": {"BACKEND": env("CHOP_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}

# One-time-code and notification senders. "console" prints and appends to CHOP_OUTBOX (JSON lines).
CHOP_OUTBOX = Path(env("CHOP_OUTBOX", default=str(VAR_DIR / "outbox.jsonl")))
CHOP_SMS_SENDER = env("CHOP_SMS_SENDER", default="console")  # console | http
CHOP_SMS_HTTP_URL = env("CHOP_SMS_HTTP_URL", default="")
CHOP_SMS_HTTP_TOKEN = env("CHOP_SMS_HTTP_TOKEN", default="")
CHOP_SMS_HTTP_SIGN_NAME = env("CHOP_SMS_HTTP_SIGN_NAME", default="Chop")
CHOP_SMS_HTTP_TIMEOUT = env.float("CHOP_SMS_HTTP_TIMEOUT", default=5.0)
CHOP_EMAIL_SENDER = env("CHOP_EMAIL_SENDER", default="console")  # console | smtp
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Chop <noreply@localhost>")

# One-time-code policy.
CHOP_OTP_TTL_SECONDS = env.int("CHOP_OTP_TTL_SECONDS", default=300)
CHOP_OTP_MAX_ATTEMPTS = env.int("CHOP_OTP_MAX_ATTEMPTS", default=5)
CHOP_OTP_RESEND_SECONDS = env.int("CHOP_OTP_RESEND_SECONDS", default=60)
CHOP_OTP_DAILY_CAP_PER_TARGET = env.int("CHOP_OTP_DAILY_CAP_PER_TARGET", default=10)
CHOP_OTP_DAILY_CAP_PER_IP = env.int("CHOP_OTP_DAILY_CAP_PER_IP", default=30)

# Trust: platform CA directory and the key-encryption key that wraps every private key at rest.
CHOP_PKI_DIR = Path(env("CHOP_PKI_DIR", default=str(VAR_DIR / "pki")))
CHOP_KEK = env("CHOP_KEK", default=None) or _local_secret("kek", 32)
CHOP_TSA_URL = env("CHOP_TSA_URL", default="")  # empty: the built-in TSA

# Verification providers: "review" (a platform operator decides; for payments, the console
# provider that prints the amount) or "http" with *_URL, *_TOKEN, *_TIMEOUT, *_RETRIES.
for _kind in ("IDENTITY", "REGISTRY", "PAYMENT"):
    vars()[f"CHOP_{_kind}_PROVIDER"] = env(f"CHOP_{_kind}_PROVIDER", default="review")
    vars()[f"CHOP_{_kind}_PROVIDER_URL"] = env(f"CHOP_{_kind}_PROVIDER_URL", default="")
    vars()[f"CHOP_{_kind}_PROVIDER_TOKEN"] = env(f"CHOP_{_kind}_PROVIDER_TOKEN", default="")
    vars()[f"CHOP_{_kind}_PROVIDER_TIMEOUT"] = env.float(f"CHOP_{_kind}_PROVIDER_TIMEOUT", default=10.0)
    vars()[f"CHOP_{_kind}_PROVIDER_RETRIES"] = env.int(f"CHOP_{_kind}_PROVIDER_RETRIES", default=2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
