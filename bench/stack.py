"""A whole Chop on loopback for the API bench and the load test: a scratch database, the two
companies that trade, contracts, web and task-worker processes, and counting afterwards.

Shared by ``bench.api`` (auto-sign over HTTP) and ``bench.loadtest`` (``make loadtest``: the
whole flow under load, with faults). Everything Django is imported inside the functions: the
module is imported before ``django.setup()`` runs in the child process that measures.

- ``scratch_db(url, suffix)`` / ``recreate``: a database of its own next to ``DATABASE_URL``'s
  (PostgreSQL: ``<name>_<suffix>`` on the same server, dropped at the end; SQLite: a file).
- ``env`` / ``setup``: the settings every process of the run shares (database, media, the CA's
  directory, the outbox) and ``migrate``.
- ``world``: company A sends contracts, company B signs them automatically (an active auto-sign
  authorisation for its official seal); an API key for each.
- ``contracts``: contracts made directly, B's party to sign now (the set-up of the API bench).
- ``Web`` (gunicorn, sync workers) and ``Workers`` (``db_worker`` processes, the tasks' reaper
  and the webhooks' clock), each killable one process at a time.
- ``count``: acts and stamping records in the database and signatures in each final PDF.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def pg_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def scratch_db(url: str, suffix: str) -> tuple[str, str]:
    """(the scratch database's URL, the maintenance database's URL) on the same server."""
    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "chop") + "_" + suffix
    return urlunsplit(parts._replace(path="/" + name)), urlunsplit(parts._replace(path="/postgres"))


def db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def env(tmp: str, db_url: str) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "chop.settings",
        "DATABASE_URL": db_url,
        "MEDIA_ROOT": f"{tmp}/media",
        "CHOP_VAR_DIR": tmp,
        "CHOP_PKI_DIR": f"{tmp}/pki",
        "CHOP_OUTBOX": f"{tmp}/outbox.jsonl",
        # no worker runs here: previews and notices queued by the set-up are not the figure
        "CHOP_TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
        # the per-key limit (6000/min by default) would cap the run, not the server
        "CHOP_API_RATE": "1000000/60",
    }


def setup(tmp: str, db_url: str) -> None:
    os.environ.update(env(tmp, db_url))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def pdf() -> bytes:
    from tests.support.pdfsign_testing import make_pdf

    lines = [
        (60, 780 - 18 * k, f"Clause {k}: the parties agree that line {k} binds.") for k in range(30)
    ]
    return make_pdf(1, texts={0: lines})


A_USCC = "91310000MA1FL8XQ37"
B_USCC = "9144030071526726XG"  # a valid code: the API checks it
B_NAME = "乙方基准有限公司"
B_PHONE = "13900000002"


def world() -> dict:
    """A (key ``raw_a``) sends contracts to B (key ``raw``); each holds an auto-sign
    authorisation for its official seal (``seal_a``, ``seal``)."""
    import datetime as dt

    from django.utils import timezone

    from chop.accounts.models import User
    from chop.api import keys
    from chop.grants.models import AutoSignAuthorisation
    from chop.orgs.models import Company, Membership, Role
    from chop.seals.issuance import ensure_official_seal

    def company(phone: str, name: str, uscc: str):
        user = User.objects.create_user(phone, "bench-pass-123", name=name[:2])
        c = Company.objects.create(name=name, created_by=user, status="verified", uscc=uscc)
        Membership.objects.create(company=c, user=user, role=Role.OWNER)
        return user, c

    def autosign(c, owner):
        seal = ensure_official_seal(c, by=owner)
        now = timezone.now()
        AutoSignAuthorisation.objects.create(
            company_id=c.pk,
            seal=seal,
            contract_types=[],
            starts_at=now - dt.timedelta(minutes=1),
            ends_at=now + dt.timedelta(days=30),
            daily_cap=1_000_000,
            confirmed_by=owner,
            confirmed_at=now - dt.timedelta(minutes=2),
            confirm_method="sms",
            letter_sha256="0" * 64,
            letter_signed_at=now - dt.timedelta(minutes=1),
        )
        return seal

    a_owner, a = company("13900000001", "甲方基准有限公司", A_USCC)
    b_owner, b = company(B_PHONE, B_NAME, B_USCC)
    seal = autosign(b, b_owner)
    seal_a = autosign(a, a_owner)
    scopes = ["stamping", "read", "records"]
    _key, raw = keys.make(company=b, user=b_owner, name="bench", scopes=scopes)
    _key, raw_a = keys.make(company=a, user=a_owner, name="bench", scopes=[*scopes, "contracts"])
    return {
        "a": a,
        "a_owner": a_owner,
        "b": b,
        "b_owner": b_owner,
        "seal": seal,
        "seal_a": seal_a,
        "raw": raw,
        "raw_a": raw_a,
        "pdf": pdf(),
    }


def contracts(w: dict, n: int) -> list:
    """``n`` contracts of A being signed, B's party to sign now with one single position: what
    sending leaves, made directly so the set-up stays out of the figure."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from chop.contracts import documents
    from chop.contracts.models import Contract, Participant, Position

    parties = []
    for i in range(n):
        contract = documents.create_draft(
            company=w["a"],
            user=w["a_owner"],
            title=f"基准合同 {i}",
            upload=SimpleUploadedFile("c.pdf", w["pdf"], "application/pdf"),
        )
        party = Participant.objects.create(
            contract=contract,
            position=0,
            kind="company",
            company=w["b"],
            name=w["b"].name,
            uscc=w["b"].uscc,
            state="to_sign",
        )
        Position.objects.create(participant=party, form="single", page=1, x_mm=120, y_mm=220)
        Contract.objects.filter(pk=contract.pk).update(state="signing", sent_at=timezone.now())
        parties.append(party)
    return parties


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(base: str, proc: subprocess.Popen, what: str, timeout: float = 90.0, log=None) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            if log is not None:
                log.seek(0)
                said = log.read()[-4000:]
            else:
                said = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"{what} exited: {said}")
        try:
            requests.get(base + "/api/v1/openapi.json", timeout=60)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer within {timeout:.0f} s")


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (Linux /proc)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes ``pids`` have used so far (Linux /proc; a process gone
    in the meantime counts 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / tick


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (the backends the run talks to among
    them): what the database costs, counted beside what the app costs."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class Web:
    """The app as production serves it, ``chop serve`` (gunicorn's sync workers, static files
    collected, JSON request logs), on a free loopback port: ``processes`` workers, which
    gunicorn's arbiter starts again when one dies. ``chop serve`` replaces itself with gunicorn,
    so the process started here is the arbiter. Its log goes to a file (a pipe nobody reads
    would fill and stop the server)."""

    def __init__(self, processes: int, env: dict) -> None:
        port = free_port()
        self.processes = processes
        self.base = f"http://127.0.0.1:{port}"
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chop.manage",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(processes),
            ],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            text=True,
        )
        _wait_up(self.base, self.proc, "chop serve", log=self.log)
        # every worker imports the app lazily on its first request: warm them all
        import requests

        for _ in range(processes * 3):
            requests.get(self.base + "/api/v1/openapi.json", timeout=30)

    def pids(self) -> list[int]:
        return children(self.proc.pid)

    def kill_one(self) -> int:
        """SIGKILL one web process (the arbiter starts a new one); its pid."""
        pid = self.pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_full(self, timeout: float = 60.0) -> None:
        """Until the arbiter runs ``processes`` workers again."""
        deadline = time.monotonic() + timeout
        while len(self.pids()) < self.processes and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        stop(self.proc)
        self.log.close()


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Workers:
    """``n`` django-tasks ``db_worker`` processes, the tasks' reaper and the webhooks' clock, as
    ``run_platform`` starts them (with short periods, so a killed worker's task comes back within
    the run)."""

    def __init__(self, n: int, env: dict, *, every: int = 5) -> None:
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.workers: dict[str, subprocess.Popen] = {}
        self.started = 0
        for _ in range(n):
            self.start()
        self.clocks = [
            self._spawn(["reap_tasks", "--every", str(every)]),
            self._spawn(["webhook_clock", "--every", str(every)]),
        ]

    def _spawn(self, command: list[str]) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "chop.manage", *command],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> str:
        self.started += 1
        worker_id = f"loadtest-{self.started}"
        self.workers[worker_id] = self._spawn(
            [
                "db_worker",
                "--worker-id",
                worker_id,
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--no-reload",
                "--verbosity",
                "0",
            ]
        )
        return worker_id

    def live(self) -> list[str]:
        return [k for k, p in self.workers.items() if p.poll() is None]

    def kill(self, worker_id: str | None = None) -> str:
        """SIGKILL that worker (the oldest live one by default); its id."""
        worker_id = worker_id or self.live()[0]
        proc = self.workers[worker_id]
        proc.kill()
        proc.wait()
        return worker_id

    def stop(self) -> None:
        for proc in [*self.workers.values(), *self.clocks]:
            stop(proc)


def count(contract_ids: list[int], expect: int = 1) -> dict:
    """Acts and stamping records in the database, signatures in each final PDF: ``expect`` of
    each per contract."""
    import io

    from django.db.models import Count
    from pyhanko.pdf_utils.reader import PdfFileReader

    from chop.contracts.models import Contract, SigningAct, StampRecord

    acts = dict(
        SigningAct.objects.filter(contract_id__in=contract_ids)
        .values_list("contract_id")
        .annotate(n=Count("id"))
    )
    records = dict(
        StampRecord.objects.filter(contract_id__in=contract_ids)
        .values_list("contract_id")
        .annotate(n=Count("id"))
    )
    sigs = {}
    for contract in Contract.objects.filter(pk__in=contract_ids):
        with contract.current_version().file.open("rb") as fh:
            reader = PdfFileReader(io.BytesIO(fh.read()), strict=False)
            sigs[contract.pk] = len(reader.embedded_signatures)
    states = dict(
        Contract.objects.filter(pk__in=contract_ids)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )

    def off(found: dict) -> tuple[int, int]:
        lost = sum(max(0, expect - found.get(cid, 0)) for cid in contract_ids)
        extra = sum(max(0, found.get(cid, 0) - expect) for cid in contract_ids)
        return lost, extra

    return {
        "acts": sum(acts.values()),
        "records": sum(records.values()),
        "signatures": sum(sigs.values()),
        "lost_dup_acts": off(acts),
        "lost_dup_records": off(records),
        "lost_dup_signatures": off(sigs),
        "states": states,
    }
