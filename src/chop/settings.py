"""Django settings for Chop.

Everything that differs between machines comes from the environment (django-environ), with
embedded defaults that make a fresh checkout run: SQLite and local files under ``var/``, a secret
key generated once into ``var/secret_key``, console senders that also append to an outbox file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from chop import logs as _logs
from chop import siteurl as _siteurl

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent.parent

env = environ.Env()
environ.Env.read_env(ROOT_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("CHOP_VAR_DIR", default=str(ROOT_DIR / "var")))


def _private_dir(path: Path) -> Path:
    """Create ``path`` as 0700 (and tighten it if it exists): ``var/`` holds the database, the
    KEK file, uploads and the outbox with live codes, none of which other local users may read."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Not ours (an operator-managed directory): then its mode is the operator's business.
    with contextlib.suppress(OSError):
        path.chmod(0o700)
    return path


def _private_file(path: Path) -> Path:
    """Create ``path`` empty as 0600 if missing, else tighten it to 0600 (the SQLite file: SQLite
    creates its -wal and -shm files with the database file's mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        path.chmod(0o600)
    except OSError:
        pass
    return path


_private_dir(VAR_DIR)


def _local_secret(name: str, nbytes: int = 48) -> str:
    """Read a secret from ``var/``, generating it once: for local use only, never in production."""
    path = VAR_DIR / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
# The DEBUG error page and error e-mails hide CHOP_KEK, tokens, passwords and URL passwords.
DEFAULT_EXCEPTION_REPORTER_FILTER = "chop.reporting.ChopExceptionReporterFilter"
SECRET_KEY = env("SECRET_KEY", default=None) or _local_secret("secret_key")
# The address the server binds (set by `make run HOST=… PORT=…` and `chop run_platform`); unless
# SITE_URL says otherwise, links and certificate URLs point at it.
CHOP_HOST = env("CHOP_HOST", default=_siteurl.DEFAULT_HOST)
CHOP_PORT = env("CHOP_PORT", default=env("PORT", default=_siteurl.DEFAULT_PORT))
SITE_URL = (env("SITE_URL", default="") or _siteurl.site_url_for(CHOP_HOST, CHOP_PORT)).rstrip("/")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # only for its static files: the API docs page serves them itself, no CDN
    "chop.accounts",
    "chop.orgs",
    "chop.audit",
    "chop.pkistate",
    "chop.seals",
    "chop.verification",
    "chop.contracts",
    "chop.grants",
    "chop.evidence",
    "chop.api",
    "chop.platform",
]

MIDDLEWARE = [
    "chop.observe.RequestLogMiddleware",  # request id, access log line, request metrics
    "chop.security.SecurityHeadersMiddleware",  # CSP and Permissions-Policy on every response
    # /healthz, /readyz, /metrics: before redirects, sessions, CSRF and the ALLOWED_HOSTS check
    "chop.platform.probes.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # collected static files, compressed, before sessions and the database are touched
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "chop.security.UploadLimitMiddleware",  # 413 before anything reads an oversized body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chop.orgs.middleware.ActiveSpaceMiddleware",
    "chop.api.gate.ApiGateMiddleware",  # /api/v1/: key, rate limit, idempotency
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
                "chop.verification.context.legal_rep_consent",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'chop.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        _private_file(Path(DATABASES["default"]["NAME"]))
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
    # connection per thread would test a different database than the one that runs. One file per
    # test process, so two runs in one checkout (make test-fast beside a browser test) never share.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(VAR_DIR / f"test-chop-{os.getpid()}.sqlite3")
    )
else:
    # A server database keeps its connection between requests (each new one costs the server a
    # backend process and the client a handshake, per request); checked before reuse, so a
    # connection the server dropped is replaced, not failed on. CHOP_DB_CONN_MAX_AGE=0 closes
    # it after every request as before.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CHOP_DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "chop.accounts.backends.LockoutBackend",
    "chop.accounts.backends.PhoneOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "chop.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed logins (chop/accounts/lockout.py, reasons in chop/accounts/README.md): per (account,
# address) a growing delay after 5 failures; per account 50 password failures a day (then code
# login/reset only); per address 100 failures an hour across accounts (spraying).
CHOP_LOGIN_FREE_FAILURES = env.int("CHOP_LOGIN_FREE_FAILURES", default=5)
CHOP_LOGIN_DELAY_SECONDS = env.int("CHOP_LOGIN_DELAY_SECONDS", default=60)
CHOP_LOGIN_DELAY_MAX_SECONDS = env.int("CHOP_LOGIN_DELAY_MAX_SECONDS", default=3600)
CHOP_LOGIN_FAILURES_PER_ACCOUNT_PER_DAY = env.int(
    "CHOP_LOGIN_FAILURES_PER_ACCOUNT_PER_DAY", default=50
)
CHOP_LOGIN_FAILURES_PER_IP_PER_HOUR = env.int("CHOP_LOGIN_FAILURES_PER_IP_PER_HOUR", default=100)
# Per-minute limits: phone codes on the person-verification form; OCSP and TSA requests.
CHOP_VERIFY_CODE_PER_USER_PER_MINUTE = env.int("CHOP_VERIFY_CODE_PER_USER_PER_MINUTE", default=3)
CHOP_VERIFY_CODE_PER_IP_PER_MINUTE = env.int("CHOP_VERIFY_CODE_PER_IP_PER_MINUTE", default=10)
CHOP_PKI_PER_IP_PER_MINUTE = env.int("CHOP_PKI_PER_IP_PER_MINUTE", default=120)
# Sign-in codes: sends per IP a minute, code sign-ins per IP an hour.
CHOP_SEND_CODE_PER_IP_PER_MINUTE = env.int("CHOP_SEND_CODE_PER_IP_PER_MINUTE", default=5)
CHOP_CODE_LOGIN_PER_IP_PER_HOUR = env.int("CHOP_CODE_LOGIN_PER_IP_PER_HOUR", default=30)
# Invitations cost an SMS each and land on a stranger's phone: per address and per company a day.
CHOP_INVITES_PER_TARGET_PER_DAY = env.int("CHOP_INVITES_PER_TARGET_PER_DAY", default=3)
CHOP_INVITES_PER_COMPANY_PER_DAY = env.int("CHOP_INVITES_PER_COMPANY_PER_DAY", default=100)
# Signature links opened or posted to from one address a minute (the phone page, /s/<token>/).
CHOP_SIGNATURE_LINK_PER_IP_PER_MINUTE = env.int("CHOP_SIGNATURE_LINK_PER_IP_PER_MINUTE", default=30)
# The public verification page (/verify-pdf/): checks (uploads, codes) per address per window.
CHOP_VERIFY_PDF_PER_IP = env.int("CHOP_VERIFY_PDF_PER_IP", default=20)
CHOP_VERIFY_PDF_WINDOW_SECONDS = env.int("CHOP_VERIFY_PDF_WINDOW_SECONDS", default=600)

# Browser-side hardening (PRODUCT.md §7). chop.security adds the site-wide CSP and
# Permissions-Policy; Django's SecurityMiddleware the rest. Over https (SITE_URL), cookies are
# Secure and browsers are told to use https only (HSTS); behind a TLS-terminating proxy set
# CHOP_BEHIND_TLS_PROXY=true so Django trusts its X-Forwarded-Proto.
HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = False
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
if env.bool("CHOP_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "chop.views.csrf_failure"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Filled by collectstatic (`chop serve` runs it); present from the start so WhiteNoise, which
# reads it once when a process starts, has a directory to read. Not made private: a front web
# server may serve it.
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]  # project-wide CSS, icons and vendored htmx
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploads (ID photos, licences) and generated files are private: served only through views.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Files: local disk (MEDIA_ROOT) or an S3-compatible bucket (django-storages), chosen by
# CHOP_STORAGE. Every file goes through Django's storage API, so both take the same code path;
# the bucket stays private (no public URLs: files are streamed through the app's views). A file
# read from the bucket is spooled in memory up to CHOP_S3_SPOOL_BYTES, then on local disk.
# Credentials come only from the environment (CHOP_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY, or
# boto3's own AWS_* variables and instance roles when those are empty).
CHOP_STORAGE = env("CHOP_STORAGE", default="local")
if CHOP_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"CHOP_STORAGE must be 'local' or 's3', not {CHOP_STORAGE!r}")
if CHOP_STORAGE == "s3":
    if not env("CHOP_S3_BUCKET", default=""):
        raise ImproperlyConfigured("CHOP_STORAGE=s3 needs CHOP_S3_BUCKET")
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("CHOP_S3_BUCKET"),
            "endpoint_url": env("CHOP_S3_ENDPOINT", default="") or None,
            "region_name": env("CHOP_S3_REGION", default="") or None,
            "access_key": env("CHOP_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("CHOP_S3_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env("CHOP_S3_ADDRESSING_STYLE", default="") or None,
            "location": env("CHOP_S3_PREFIX", default="").strip("/"),
            "default_acl": None,  # the bucket's own (private) policy; never public-read
            "querystring_auth": True,  # were a URL ever made, it would be signed and expire
            "file_overwrite": False,  # a name taken gets a new one, as on local disk
            "max_memory_size": env.int("CHOP_S3_SPOOL_BYTES", default=8 * 1024 * 1024),
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    # collectstatic also writes a gzip copy of each text file, which WhiteNoise sends to
    # clients that accept it (chop.views.static_files used to send every file uncompressed)
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Static file names carry no content hash (no manifest), so browsers may keep them an hour, as
# before, not forever: a new release is picked up within the hour.
WHITENOISE_MAX_AGE = env.int("CHOP_STATIC_MAX_AGE", default=3600)

# Uploads: a request body over CHOP_MAX_UPLOAD_BYTES is answered 413 before anything parses it
# (chop.security.UploadLimitMiddleware by Content-Length, LimitedUploadHandler while streaming).
# Each form then checks its files' own limits (chop.uploads). Media are never served statically:
# files go out only through views that check permission (chop.uploads.file_response).
# Contract documents: a PDF up to CHOP_CONTRACT_MAX_BYTES and CHOP_CONTRACT_MAX_PAGES; Word, ODT and
# RTF are converted by LibreOffice (CHOP_SOFFICE, found on PATH when empty) within
# CHOP_CONVERT_TIMEOUT_SECONDS. The request cap follows the contract limit (plus the form around it).
CHOP_CONTRACT_MAX_BYTES = env.int("CHOP_CONTRACT_MAX_BYTES", default=50 * 1024 * 1024)
CHOP_CONTRACT_MAX_PAGES = env.int("CHOP_CONTRACT_MAX_PAGES", default=2000)
CHOP_CONVERT_TIMEOUT_SECONDS = env.int("CHOP_CONVERT_TIMEOUT_SECONDS", default=60)
CHOP_SOFFICE = env("CHOP_SOFFICE", default="")
CHOP_MAX_UPLOAD_BYTES = env.int(
    "CHOP_MAX_UPLOAD_BYTES", default=max(30 * 1024 * 1024, CHOP_CONTRACT_MAX_BYTES + 1024 * 1024)
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # form fields without the files
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "chop.security.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Background work: django-tasks with its database backend, so one machine needs nothing else.
TASKS = {
    "default": {"BACKEND": env("CHOP_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}
}
# A task RUNNING for longer than this is taken for abandoned by a dead worker and queued again
# by ``chop reap_tasks`` (longer than any task takes); after CHOP_TASK_MAX_ATTEMPTS claims it fails.
CHOP_TASK_STALE_SECONDS = env.int("CHOP_TASK_STALE_SECONDS", default=1800)
CHOP_TASK_MAX_ATTEMPTS = env.int("CHOP_TASK_MAX_ATTEMPTS", default=3)

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
# Per target caps do not bind the target's owner (own session / known address): chop/accounts/otp.py
CHOP_OTP_DAILY_CAP_PER_TARGET_IP = env.int("CHOP_OTP_DAILY_CAP_PER_TARGET_IP", default=5)
CHOP_OTP_DAILY_CAP_PER_TARGET = env.int("CHOP_OTP_DAILY_CAP_PER_TARGET", default=20)
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
    vars()[f"CHOP_{_kind}_PROVIDER_TIMEOUT"] = env.float(
        f"CHOP_{_kind}_PROVIDER_TIMEOUT", default=10.0
    )
    vars()[f"CHOP_{_kind}_PROVIDER_RETRIES"] = env.int(f"CHOP_{_kind}_PROVIDER_RETRIES", default=2)

# Open API (PRODUCT.md §6): requests per key per window ("count/seconds"); webhook targets on
# private or loopback addresses are refused unless CHOP_WEBHOOK_ALLOW_PRIVATE (development only).
CHOP_API_RATE = env("CHOP_API_RATE", default="6000/60")
# An Idempotency-Key whose request is still "running" after this long was left by a process that
# died, and a retry runs it; longer than the server lets a request run.
CHOP_IDEMPOTENCY_STALE_SECONDS = env.int("CHOP_IDEMPOTENCY_STALE_SECONDS", default=600)
CHOP_WEBHOOK_ALLOW_PRIVATE = env.bool("CHOP_WEBHOOK_ALLOW_PRIVATE", default=False)
# A delivery a worker claimed is left to it this long; one whose worker died is sent again after.
CHOP_WEBHOOK_LEASE_SECONDS = env.int("CHOP_WEBHOOK_LEASE_SECONDS", default=300)

# The production server (`chop serve`, gunicorn): worker processes, threads per worker (above 1,
# gunicorn's threaded worker), seconds before a silent worker is killed and restarted (above
# CHOP_CONVERT_TIMEOUT_SECONDS: a Word conversion runs inside a request), seconds a worker gets to
# finish its requests on SIGTERM, and requests after which a worker is replaced (0: never).
CHOP_WEB_WORKERS = env.int("CHOP_WEB_WORKERS", default=max(2, os.cpu_count() or 1))
CHOP_WEB_THREADS = env.int("CHOP_WEB_THREADS", default=1)
CHOP_WEB_TIMEOUT = env.int("CHOP_WEB_TIMEOUT", default=120)
CHOP_WEB_GRACEFUL_TIMEOUT = env.int("CHOP_WEB_GRACEFUL_TIMEOUT", default=30)
CHOP_WEB_MAX_REQUESTS = env.int("CHOP_WEB_MAX_REQUESTS", default=0)
# Who may read /metrics (chop.platform.probes): addresses or networks, loopback by default.
CHOP_METRICS_ALLOW = env.list("CHOP_METRICS_ALLOW", default=["127.0.0.1", "::1"])

# Logs go to stderr, one line per record: "json" (one JSON object per line, the default under
# `chop serve`) or "text". Every line written during a request carries its request id.
CHOP_LOG_FORMAT = env("CHOP_LOG_FORMAT", default="text")
LOGGING = _logs.config(CHOP_LOG_FORMAT, env("LOG_LEVEL", default="INFO"))
