"""Fixtures every test directory shares: isolated outbox and media per test, fast password
hashing, people and companies, signed-in clients, an NSS database for pdfsig, and a real browser
(Debian's chromium).

One definition each, here: copies in the directories drift apart (the NSS database had two
versions that disagreed).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by tests beside it
# are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database with the platform CA in it, and on PostgreSQL, before it is
    dropped, the end of any
    session a live-server or worker thread left open: otherwise the drop fails ("database is
    being accessed by other users") and the test database outlives the run."""
    with django_db_blocker.unblock():
        from chop.seals.issuance import platform_ca

        platform_ca()  # committed now, outside every test's transaction (see below)
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


PKI_TABLES = "pkistate_"


@pytest.fixture(scope="session", autouse=True)
def _flush_past_append_only_triggers():
    """Stamping records (contracts migration 0006) and the stamping log's tables (evidence
    migration 0002) are append-only by database triggers, which also refuse the DELETE/TRUNCATE
    that Django's ``flush`` uses after each transactional test. In tests only, the flush lifts the
    triggers for its own statements and puts them back; and it leaves the CA's tables alone."""
    import importlib

    from django.db.backends.base.operations import BaseDatabaseOperations

    m = importlib.import_module("chop.contracts.migrations.0006_stamp_record")
    log = importlib.import_module("chop.evidence.migrations.0002_stamping_log")
    guarded = {m.TABLE, *log.TABLES}
    lift = {
        "sqlite": [
            *(
                f"DROP TRIGGER IF EXISTS {n}"
                for n in ("stamp_record_no_update", "stamp_record_no_delete")
            ),
            *log.SQLITE_DROP,
        ],
        "postgresql": [f"ALTER TABLE {t} DISABLE TRIGGER USER" for t in sorted(guarded)],
    }
    restore = {
        "sqlite": [*m.SQLITE, *log.SQLITE],
        "postgresql": [f"ALTER TABLE {t} ENABLE TRIGGER USER" for t in sorted(guarded)],
    }
    classes = []
    for module in ("sqlite3", "postgresql"):
        try:
            ops = importlib.import_module(f"django.db.backends.{module}.operations")
        except ImportError:  # no driver for this backend here
            continue
        classes.append(ops.DatabaseOperations)
    originals = {cls: cls.sql_flush for cls in classes}

    def wrapped(original):
        def sql_flush(self: BaseDatabaseOperations, style, tables, **kwargs):
            # The platform CA lives in the database (chop.pkistate) and outlives the flush, as
            # it outlives any one request: made once per session, it keeps its keys, and the
            # processes' loaded copies stay valid.
            tables = [t for t in tables if not t.startswith(PKI_TABLES)]
            statements = original(self, style, tables, **kwargs)
            if not guarded & set(tables) or not statements:
                return statements
            vendor = self.connection.vendor
            return [*lift.get(vendor, []), *statements, *restore.get(vendor, [])]

        return sql_flush

    for cls, original in originals.items():
        cls.sql_flush = wrapped(original)
    yield
    for cls, original in originals.items():
        cls.sql_flush = original


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Each test gets its own outbox and media directory, so tests never read each other's codes."""
    settings.CHOP_OUTBOX = tmp_path / "outbox.jsonl"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _still_rate_clock(monkeypatch):
    """Rate windows are fixed (a minute, an hour): a test's burst of requests that crossed a
    boundary by chance would find its count reset and no 429. The limiter's clock stands still
    at the test's start; tests about windows themselves pass ``now=`` explicitly."""
    from django.utils import timezone

    from chop.accounts import ratelimit

    held = timezone.now()
    monkeypatch.setattr(ratelimit, "clock", lambda: held)


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server over HTTP on a free loopback port, for the whole session; its URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, settings):
    """The default storage is an empty private S3 bucket on ``s3_server`` (as CHOP_STORAGE=s3
    configures it); the bucket's client is returned for assertions."""
    from tests.support.storage import BUCKET, s3_client, s3_storages

    client = s3_client(s3_server)
    settings.STORAGES = s3_storages(s3_server)
    yield client
    local = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert not local, f"files written to local disk instead of the storage: {local}"
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def storage_kind(request):
    """ "local" or "s3" (see ``tests.support.storage.on_both_storages``)."""
    if request.param == "s3":
        request.getfixturevalue("s3_bucket")
    return request.param


def pytest_generate_tests(metafunc):
    if "storage_kind" in metafunc.fixturenames:
        metafunc.parametrize("storage_kind", ["local", "s3"], indirect=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 is deliberately slow, and the tests create many users: they hash with MD5.

    The tests about hashing itself (tests/accounts/test_views.py, "configuration") check the
    project's settings module, or set ``PASSWORD_HASHERS`` back to Argon2 themselves.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- people, companies and signed-in clients ----------------------------------------------------

_phones = itertools.count(13900000001)


@pytest.fixture
def make_user(db):
    """``make_user(name, login=None, **extra)``: a user with a fresh phone number as login."""
    from chop.accounts.models import User

    def make(name: str = "用户", login: str | None = None, **extra):
        return User.objects.create_user(
            login or str(next(_phones)), "secret-pass-123", name=name, **extra
        )

    return make


@pytest.fixture
def make_company(db, make_user):
    """``make_company(name, owner, members={user: role})``: a company with an owner and members."""
    from chop.orgs.models import Company, Membership, Role

    def make(name: str = "示例公司", owner=None, members: dict | None = None):
        owner = owner or make_user("老板")
        company = Company.objects.create(name=name, created_by=owner)
        Membership.objects.create(company=company, user=owner, role=Role.OWNER)
        for user, role in (members or {}).items():
            Membership.objects.create(company=company, user=user, role=role)
        return company

    return make


@pytest.fixture
def team(make_user, make_company):
    """One company with a person in every role, keyed by role value, plus ``company``."""
    from chop.orgs.models import Membership, Role

    people = {role: make_user(f"{role}-person") for role in Role.values if role != Role.OWNER}
    owner = make_user("owner-person")
    company = make_company("团队公司", owner=owner, members={u: r for r, u in people.items()})
    people[Role.OWNER] = owner
    ms = {r: Membership.objects.get(company=company, user=u) for r, u in people.items()}
    return {"company": company, "users": people, "m": ms}


def log_in(client, user, company=None):
    """Log ``user`` in on ``client`` (a new session) and make ``company`` the active space."""
    from chop.orgs.access import SESSION_KEY

    client.force_login(user)
    if company is not None:
        session = client.session
        session[SESSION_KEY] = company.pk
        session.save()
    return client


@pytest.fixture
def login(db):
    """``login(user, company=None)``: a new client signed in as ``user``, ``company`` active."""
    from django.test import Client

    def make(user, company=None):
        return log_in(Client(), user, company)

    return make


def session_cookie(user, base: str, company=None) -> dict:
    """A Playwright cookie for a session of ``user`` (``company`` active) on the server at
    ``base``: browser tests that are not about the login page skip it this way."""
    from django.conf import settings
    from django.test import Client

    client = log_in(Client(), user, company)
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": base}


# --- independent validators -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory):
    """``nss_db(root_pem) -> "sql:<dir>"``: an NSS database trusting that root and nothing else,
    for ``pdfsig -nssdir``. One database per root for the whole session.

    A missing certutil fails the test rather than skipping it: `make test` installs it, and a
    skipped trust check would let a certificate profile NSS refuses pass unnoticed. The database
    is named with its ``sql:`` prefix so NSS opens the format certutil wrote, whatever its
    default database type.
    """
    if not shutil.which("certutil"):
        pytest.fail("certutil (libnss3-tools) is required: scripts/system-deps.sh test installs it")
    made: dict[bytes, str] = {}

    def make(root_pem: bytes) -> str:
        if root_pem not in made:
            db = tmp_path_factory.mktemp("nssdb")
            root = db / "root.pem"
            root.write_bytes(root_pem)
            subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
            subprocess.run(
                ["certutil", "-A", "-d", f"sql:{db}", "-n", "chop-root", "-t", "C,C,C"]
                + ["-i", str(root)],
                check=True,
            )
            made[root_pem] = f"sql:{db}"
        return made[root_pem]

    return make


# --- the browser ----------------------------------------------------------------------------------


def require_browser_marker(node) -> None:
    """Fail a test that starts chromium without ``@pytest.mark.browser``: `make test-fast`
    leaves the browser tests out by that marker, so an unmarked one would slip in."""
    if node.get_closest_marker("browser") is None:
        pytest.fail(f"{node.nodeid} uses the browser: mark it @pytest.mark.browser")


@pytest.fixture
def browser(request):
    """Chromium for one test. Not session-wide: Playwright's sync API keeps an asyncio loop
    running on the main thread while it is open, and code that calls ``asyncio.run`` (pyHanko's
    validators) must not find one in the tests that follow."""
    from playwright.sync_api import sync_playwright

    require_browser_marker(request.node)

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def browser_page(browser, live_server):
    """A fresh browser context (Chinese by default, desktop size) pointed at the live server."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "step-name")`` saves a full-page PNG under test-artifacts/<test>/."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page, name: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- the per-process SQLite test database -----------------------------------------------------------


def _test_db_files(pid: int | str = "*") -> list[Path]:
    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" or not name:
        return []
    folder = Path(name).parent
    return sorted(folder.glob(f"test-chop-{pid}.sqlite3*"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pytest_sessionstart(session):
    """Remove test databases (and their -wal/-shm files) left by test runs that have ended."""
    for path in _test_db_files():
        pid = path.name.removeprefix("test-chop-").split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)


def pytest_sessionfinish(session, exitstatus):
    """Django drops this run's database file; a live-server thread can leave its -wal/-shm."""
    for path in _test_db_files(os.getpid()):
        path.unlink(missing_ok=True)
