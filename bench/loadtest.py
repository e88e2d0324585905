"""``make loadtest``: Chop on PostgreSQL with 2 web processes and 2 task workers on loopback,
driven through the API for a bounded time, then counted; the same with 1, 2 and 4 web
processes; then faults (a task worker and a web process killed with SIGKILL mid-run).

``python -m bench.loadtest [load|scale|faults ...]`` (all three by default). It makes its own
database next to ``DATABASE_URL``'s (``<name>_loadtest_<pid>`` on PostgreSQL, dropped at the end; a
file on SQLite, for the fault test only: figures on SQLite say nothing about production), its own
CA, and an S3 bucket on moto's S3 server (a process of its own, over HTTP) that every process
of the run shares (``LOADTEST_STORAGE=local`` keeps files on local disk instead), and starts
``chop serve`` (``bench.stack.Web``), ``db_worker`` processes, the tasks' reaper and the
webhooks' clock (``bench.stack.Workers``).

The client: ``LOADTEST_CLIENTS`` threads (8), each repeating one contract's whole flow until the
time is up (``LOADTEST_SECONDS``, 60; ``LOADTEST_SCALE_SECONDS``, 20, per web-process count):
A uploads a 1-page PDF, adds B as a party, places B's seal, sends; B auto-signs, downloads the
signed file and posts it to ``/api/v1/verify`` (verdict must be ``valid``). Every POST carries an
``Idempotency-Key``; a request that fails (no answer, 5xx, 409 "in flight") is retried with the
same key, as an integrator should, and counted as an error of its operation. Both companies
have a webhook endpoint on a receiver this process runs, which checks each delivery's signature.

Afterwards, counted in the database and the files: every contract of the run exactly once (by
its number), one act, one stamping record and one signature in the final PDF of every contract
the client saw signed; after the faults, every contract consistent (state, party, acts,
versions, signatures in the last version), every signature valid under pyHanko's validator with
the platform root as the only trust anchor, and every webhook message received, by
``webhook-id``. Figures printed and written as JSON (``LOADTEST_JSON``,
``var/loadtest.json``) with the load average, since the machine may be shared.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import stack

OPS = ("upload", "party", "position", "send", "auto-sign", "file", "verify")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# --- the client ------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {op: [] for op in OPS}
        self.errors: dict[str, Counter] = {op: Counter() for op in OPS}
        self.created: dict[str, int] = {}  # contract number -> id
        self.signed: list[int] = []
        self.verified = 0
        self.flows = 0
        self.abandoned: list[str] = []

    def ok(self, op: str, ms: float) -> None:
        with self.lock:
            self.latency[op].append(ms)

    def error(self, op: str, kind: str) -> None:
        with self.lock:
            self.errors[op][kind] += 1

    def summary(self, wall: float) -> dict:
        def pct(values: list[float], p: float) -> float:
            if not values:
                return 0.0
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]

        ops = {
            op: {
                "n": len(v),
                "per_s": len(v) / wall,
                "p50": pct(v, 0.50),
                "p95": pct(v, 0.95),
                "p99": pct(v, 0.99),
                "errors": dict(self.errors[op]),
            }
            for op, v in self.latency.items()
        }
        return {
            "wall_s": wall,
            "flows": self.flows,
            "flows_per_s": self.flows / wall,
            "signatures_per_s": len(self.latency["auto-sign"]) / wall,
            "requests_per_s": sum(len(v) for v in self.latency.values()) / wall,
            "errors": sum(sum(c.values()) for c in self.errors.values()),
            "abandoned": self.abandoned,
            "ops": ops,
        }


class GaveUp(Exception):
    pass


class Client:
    """One integrator thread: A's and B's keys, one session, retries with the same key."""

    RETRY_FOR = 90.0  # seconds a request is retried (no answer, 5xx, 409 in flight)

    def __init__(self, base: str, w: dict, stats: Stats, run: str) -> None:
        import requests

        self.base = base + "/api/v1"
        self.w = w
        self.stats = stats
        self.run = run
        self.session = requests.Session()

    def call(self, op: str, method: str, path: str, key: str, idem: str | None, **kw):
        import requests

        headers = {"Authorization": f"Bearer {key}"}
        if idem:
            headers["Idempotency-Key"] = idem
        deadline = time.monotonic() + self.RETRY_FOR
        while True:
            for f in kw.get("files", {}).values():
                f[1].seek(0)
            t0 = time.perf_counter()
            try:
                resp = self.session.request(
                    method, self.base + path, headers=headers, timeout=60, **kw
                )
            except requests.RequestException as exc:
                self.stats.error(op, type(exc).__name__)
            else:
                ms = (time.perf_counter() - t0) * 1000
                retry = resp.status_code >= 500 or resp.status_code in (409, 429)
                if resp.status_code == 409 and op == "auto-sign":
                    # 409 is also "not your turn": only the in-flight key is retried
                    retry = "idempotency_in_flight" in resp.text
                if not retry:
                    if resp.status_code < 400:
                        self.stats.ok(op, ms)
                    else:
                        self.stats.error(op, str(resp.status_code))
                    return resp
                self.stats.error(op, str(resp.status_code))
            if time.monotonic() > deadline:
                raise GaveUp(op)
            time.sleep(0.3)
            self.session.close()  # a fresh connection: the old one may be to a dead process

    def flow(self, n: int) -> None:
        a, b = self.w["raw_a"], self.w["raw"]
        number = f"LT-{self.run}-{n}"
        idem = f"{self.run}-{n}"
        r = self.call(
            "upload",
            "POST",
            "/contracts",
            a,
            f"{idem}-upload",
            files={"file": ("c.pdf", io.BytesIO(self.w["pdf"]), "application/pdf")},
            data={"title": f"负载合同 {n}", "number": number},
        )
        if r.status_code != 201:
            raise GaveUp(f"upload {r.status_code}: {r.text[:200]}")
        cid = r.json()["id"]
        with self.stats.lock:
            self.stats.created[number] = cid
        # A (the initiator) stamps first, then B; each at one place on page 1
        me = {"kind": "initiator"}
        them = {"kind": "company", "name": stack.B_NAME, "uscc": stack.B_USCC}
        them["contact"] = stack.B_PHONE
        pids = []
        for tag, body, y in (("a", me, 240), ("b", them, 200)):
            path = f"/contracts/{cid}/participants"
            r = self.call("party", "POST", path, a, f"{idem}-p{tag}", json=body)
            if r.status_code != 201:
                raise GaveUp(f"party {r.status_code}: {r.text[:200]}")
            pid = r.json()["id"]
            pids.append(pid)
            place = {"form": "single", "page": 1, "x_mm": 120, "y_mm": y}
            path = f"/contracts/{cid}/participants/{pid}/positions"
            r = self.call("position", "POST", path, a, f"{idem}-pos{tag}", json=place)
            if r.status_code != 201:
                raise GaveUp(f"position {r.status_code}: {r.text[:200]}")
        r = self.call("send", "POST", f"/contracts/{cid}/send", a, f"{idem}-send")
        if r.status_code >= 300:
            raise GaveUp(f"send {r.status_code}: {r.text[:200]}")
        for tag, key, seal_id, pid in (
            ("a", a, self.w["seal_a_id"], pids[0]),
            ("b", b, self.w["seal_id"], pids[1]),
        ):
            r = self.call(
                "auto-sign",
                "POST",
                f"/contracts/{cid}/auto-sign",
                key,
                f"{idem}-sign{tag}",
                json={"seal_id": seal_id, "participant_id": pid},
            )
            if r.status_code != 201:
                raise GaveUp(f"auto-sign {r.status_code}: {r.text[:200]}")
        with self.stats.lock:
            self.stats.signed.append(cid)
        r = self.call("file", "GET", f"/contracts/{cid}/file", b, None)
        if r.status_code != 200:
            raise GaveUp(f"file {r.status_code}")
        signed = r.content
        r = self.call(
            "verify",
            "POST",
            "/verify",
            b,
            f"{idem}-verify",
            files={"file": ("signed.pdf", io.BytesIO(signed), "application/pdf")},
        )
        if r.status_code != 200 or r.json().get("verdict") != "valid":
            raise GaveUp(f"verify {r.status_code}: {r.text[:200]}")
        with self.stats.lock:
            self.stats.verified += 1
            self.stats.flows += 1


def drive(base: str, w: dict, seconds: float, clients: int, *, during=None) -> dict:
    """``clients`` threads run flows until ``seconds`` are up (a flow under way is finished);
    ``during(stats)`` runs in this thread meanwhile (the faults)."""
    stats = Stats()
    run = uuid.uuid4().hex[:8]
    counter = iter(range(1_000_000))
    next_lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        client = Client(base, w, stats, run)
        while time.monotonic() < stop_at:
            with next_lock:
                n = next(counter)
            try:
                client.flow(n)
            except GaveUp as exc:
                with stats.lock:
                    stats.abandoned.append(f"{n}: {exc}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    faults = during(stats) if during else None
    for t in threads:
        t.join()
    result = stats.summary(time.perf_counter() - t0)
    result["run"] = run
    result["created"] = stats.created
    result["signed"] = stats.signed
    if faults is not None:
        result["faults"] = faults
    return result


# --- webhooks --------------------------------------------------------------------------------


class Receiver:
    """A webhook endpoint on loopback: counts deliveries by ``webhook-id`` and checks each
    signature (Standard Webhooks: HMAC-SHA256 of "id.timestamp.body" under the secret)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.got: Counter = Counter()
        self.bad = 0
        self.secrets: dict[str, bytes] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                msg_id = self.headers.get("webhook-id", "")
                stamp = self.headers.get("webhook-timestamp", "")
                key = receiver.secrets.get(self.path, b"")
                mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256)
                expected = "v1," + base64.b64encode(mac.digest()).decode()
                given = self.headers.get("webhook-signature", "").split()
                with receiver.lock:
                    receiver.got[msg_id] += 1
                    if expected not in given:
                        receiver.bad += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def endpoint(self, company, owner, name: str) -> None:
        from chop.api.models import WebhookEndpoint
        from chop.api.webhooks.secrets import new_secret

        secret = new_secret()
        WebhookEndpoint.objects.create(
            company=company, url=f"{self.url}/{name}", secret=secret, created_by=owner
        )
        self.secrets[f"/{name}"] = base64.b64decode(secret.removeprefix("whsec_"))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def webhooks_settled(receiver: Receiver, timeout: float) -> dict:
    """Wait until no delivery is pending (a dead worker's lease runs out, the clock sends it
    again), then compare the messages in the database with what the receiver got."""
    from chop.api.models import WebhookDelivery, WebhookMessage

    deadline = time.monotonic() + timeout
    pending = WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING)
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(1)
    ids = set(WebhookMessage.objects.values_list("msg_id", flat=True))
    with receiver.lock:
        got = dict(receiver.got)
        bad = receiver.bad
    twice = {m for m, n in got.items() if n > 1}
    # a message received twice is explained only by a retry: its delivery was tried again
    retried = set(
        WebhookDelivery.objects.filter(message__msg_id__in=twice, attempts__gt=1).values_list(
            "message__msg_id", flat=True
        )
    )
    return {
        "messages": len(ids),
        "received_ids": len(got),
        "missing": len(ids - set(got)),
        "unknown": len(set(got) - ids),
        "received_twice": len(twice),
        "twice_unexplained": len(twice - retried),
        "bad_signatures": bad,
        "pending": pending.count(),
        "failed": WebhookDelivery.objects.filter(state=WebhookDelivery.State.FAILED).count(),
    }


# --- counting --------------------------------------------------------------------------------


def counted(result: dict) -> dict:
    """Contracts by number (each once), and acts, records, signatures of the signed ones."""
    from django.db.models import Count

    from chop.contracts.models import Contract

    numbers = dict(
        Contract.objects.filter(number__startswith=f"LT-{result['run']}-")
        .values_list("number")
        .annotate(n=Count("id"))
    )
    seen = result["created"]
    return {
        "contracts": sum(numbers.values()),
        "contracts_lost": sum(1 for number in seen if number not in numbers),
        "contracts_duplicated": sum(n - 1 for n in numbers.values() if n > 1),
        **stack.count(result["signed"], expect=2),
    }


def consistent(run: str) -> dict:
    """Every contract of the run: its state agrees with its party's, its acts, its versions and
    the signatures in its last version; every signature valid under pyHanko's validator with
    the platform root as the only trust anchor."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chop.contracts.models import Contract
    from chop.pdfsign.verify import _load_roots
    from chop.seals.issuance import platform_ca

    roots = _load_roots([platform_ca().root_certificate])
    problems: list[str] = []
    states: Counter = Counter()
    signatures = 0
    for c in Contract.objects.filter(number__startswith=f"LT-{run}-").prefetch_related(
        "participants", "versions"
    ):
        states[c.state] += 1
        parties = list(c.participants.all())
        acts = c.acts.count()
        versions = len(c.versions.all())
        signed = [p for p in parties if p.state == "signed"]
        # a draft has its upload; each act adds a version; both acts complete it
        fits = {
            "draft": acts == 0,
            "signing": acts < len(parties),
            "completed": acts == len(parties) == 2,
        }.get(c.state, False)
        if not fits or versions != 1 + acts or len(signed) != acts:
            problems.append(f"{c.number}: {c.state}, {acts} acts, {versions} versions")
            continue
        with c.current_version().file.open("rb") as fh:
            reader = PdfFileReader(io.BytesIO(fh.read()), strict=False)
            sigs = reader.embedded_signatures
            if len(sigs) != acts:
                problems.append(f"{c.number}: {len(sigs)} signatures, {acts} acts")
            for sig in sigs:
                status = validate_pdf_signature(
                    sig,
                    signer_validation_context=ValidationContext(trust_roots=roots),
                    diff_policy=DEFAULT_DIFF_POLICY,
                )
                signatures += 1
                if not (status.intact and status.valid and status.trusted):
                    problems.append(f"{c.number}: signature not valid")
    return {"states": dict(states), "signatures_valid": signatures, "problems": problems}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- the phases ------------------------------------------------------------------------------


class Connections:
    """The most connections the run's processes held to its database at once (PostgreSQL),
    sampled every half second."""

    def __init__(self) -> None:
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        while not self.done.wait(0.5):
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
                self.peak = max(self.peak, cur.fetchone()[0])
        connection.close()

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return self.peak


BUCKET = "chop-loadtest"


def s3_server() -> tuple[subprocess.Popen, dict]:
    """moto's S3 server in a process of its own on a free loopback port (not a thread of this
    one, where it would take turns with the clients), with an empty private bucket, and the
    settings (``CHOP_STORAGE=s3`` …) that point every process of the run at it: the web
    processes and the workers share one bucket, as several machines would."""
    import boto3
    import requests

    port = stack.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(endpoint, timeout=5)
            break
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto's S3 server did not start") from None
            time.sleep(0.2)
    keys = {"aws_access_key_id": "loadtest", "aws_secret_access_key": "loadtest"}
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys).create_bucket(
        Bucket=BUCKET
    )
    return server, {
        "CHOP_STORAGE": "s3",
        "CHOP_S3_BUCKET": BUCKET,
        "CHOP_S3_ENDPOINT": endpoint,
        "CHOP_S3_REGION": "us-east-1",
        "CHOP_S3_ACCESS_KEY_ID": "loadtest",
        "CHOP_S3_SECRET_ACCESS_KEY": "loadtest",
        "CHOP_S3_ADDRESSING_STYLE": "path",
    }


def stored_bytes() -> tuple[int, int]:
    """(files, bytes) in the default storage: the bucket, or the media directory."""
    from django.core.files.storage import default_storage

    from chop.platform.backup import stored_names

    names = stored_names()
    return len(names), sum(default_storage.size(n) for n in names)


def phase_load(w: dict, served: dict, receiver: Receiver) -> dict:
    web = stack.Web(2, served)
    workers = stack.Workers(2, served)
    files_before, bytes_before = stored_bytes()
    try:
        before = load_average()
        sampler = Connections()
        result = drive(web.base, w, _int("LOADTEST_SECONDS", 60), _int("LOADTEST_CLIENTS", 8))
        result["db_connections_peak"] = sampler.stop()
        result["load_average"] = [before, load_average()]
        web.stop()
        result["count"] = counted(result)
        result["webhooks"] = webhooks_settled(receiver, 120)
    finally:
        web.stop()
        workers.stop()
    files, size = stored_bytes()
    result["stored"] = {"files": files - files_before, "bytes": size - bytes_before}
    return result


def phase_scale(w: dict, served: dict) -> dict:
    out = {}
    workers = stack.Workers(2, served)
    try:
        for processes in (1, 2, 4):
            web = stack.Web(processes, served)
            try:
                before = load_average()
                seconds = _int("LOADTEST_SCALE_SECONDS", 20)
                r = drive(web.base, w, seconds, _int("LOADTEST_CLIENTS", 8))
                r["load_average"] = [before, load_average()]
            finally:
                web.stop()
            r["count"] = counted(r)
            out[str(processes)] = r
            _say(f"   {processes} web process(es): {_line(r)}")
    finally:
        workers.stop()
    return out


def phase_faults(w: dict, served: dict, receiver: Receiver) -> dict:
    """2 web processes, 2 workers; a worker and a web process killed (SIGKILL) while acts are
    being signed, a new worker started, gunicorn starts the web process again."""
    web = stack.Web(2, served)
    workers = stack.Workers(2, served)
    seconds = _int("LOADTEST_FAULT_SECONDS", 20)

    def faults(stats: Stats) -> list[str]:
        done = []
        for _ in range(2):
            # in the middle of signing: once acts are being answered
            start = len(stats.signed)
            deadline = time.monotonic() + seconds / 2
            while len(stats.signed) < start + 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            # a worker in the middle of a task, which it leaves RUNNING for the reaper
            busy = busy_worker(workers, timeout=seconds / 4)
            done.append(f"worker {workers.kill(busy)} killed" + (" mid-task" if busy else ""))
            workers.start()
            done.append(f"web process {web.kill_one()} killed")
            time.sleep(seconds / 4)
        web.wait_full()
        return done

    try:
        before = load_average()
        result = drive(web.base, w, seconds, _int("LOADTEST_CLIENTS", 8), during=faults)
        result["load_average"] = [before, load_average()]
        result["count"] = counted(result)
        result["webhooks"] = webhooks_settled(receiver, 150)
        drained(timeout=120)
        result["consistency"] = consistent(result["run"])
        result["tasks"] = _tasks()
    finally:
        web.stop()
        workers.stop()
    return result


def busy_worker(workers, timeout: float) -> str | None:
    """A live worker that is running a task now (None when none is within ``timeout``)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = set(workers.live())
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        for ids in running.values_list("worker_ids", flat=True):
            if ids and ids[-1] in live:
                return ids[-1]
        time.sleep(0.02)
    return None


def drained(timeout: float) -> None:
    """Until no task is waiting or running (a killed worker's comes back through the reaper)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    busy = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    deadline = time.monotonic() + timeout
    while busy.exists() and time.monotonic() < deadline:
        time.sleep(0.5)


def _tasks() -> dict:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    out = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")))
    # claimed by more than one worker: a killed worker's task the reaper queued again
    out["claimed_again"] = sum(
        1 for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) if len(ids) > 1
    )
    return out


def _line(r: dict) -> str:
    sign = r["ops"]["auto-sign"]
    return (
        f"{r['flows_per_s']:.2f} contracts/s (create+sign+verify), {r['requests_per_s']:.1f} "
        f"requests/s; auto-sign p50 {sign['p50']:.0f} p95 {sign['p95']:.0f} p99 "
        f"{sign['p99']:.0f} ms; {r['errors']} errors; load {r['load_average'][1][0]}"
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def report(results: dict) -> None:
    load = results.get("load")
    if load:
        print(f"== load: 2 web processes, 2 task workers, {load['wall_s']:.0f} s ==")
        print(
            f"{load['flows']} contracts created, signed and verified: "
            f"{load['flows_per_s']:.2f}/s; {load['requests_per_s']:.1f} requests/s; "
            f"{load['errors']} errors; load average {load['load_average']}"
        )
        print(f"{'operation':<10} {'n':>6} {'per s':>7} {'p50':>7} {'p95':>7} {'p99':>7}  errors")
        for op, x in load["ops"].items():
            print(
                f"{op:<10} {x['n']:>6} {x['per_s']:>7.2f} {x['p50']:>7.0f} {x['p95']:>7.0f} "
                f"{x['p99']:>7.0f}  {x['errors'] or ''}"
            )
        _counts(load)
        stored = load["stored"]
        print(
            f"stored: {stored['files']} files, {stored['bytes'] / 1e6:.1f} MB "
            f"({stored['bytes'] / max(1, load['flows']) / 1e3:.0f} kB per contract); "
            f"database connections at most {load['db_connections_peak']}"
        )
    scale = results.get("scale")
    if scale:
        print("== throughput by web processes (2 task workers) ==")
        for processes, r in scale.items():
            print(f"{processes} process(es): {_line(r)}")
    faults = results.get("faults")
    if faults:
        print("== faults: " + "; ".join(faults["faults"]) + " ==")
        print(_line(faults))
        _counts(faults)
        c = faults["consistency"]
        print(
            f"consistency: {c['states']}, {c['signatures_valid']} signatures valid (pyHanko), "
            f"problems: {c['problems'] or 'none'}; tasks {faults['tasks']}"
        )


def _counts(r: dict) -> None:
    c = r["count"]
    lost = sum(c[k][0] for k in ("lost_dup_acts", "lost_dup_records", "lost_dup_signatures"))
    dup = sum(c[k][1] for k in ("lost_dup_acts", "lost_dup_records", "lost_dup_signatures"))
    print(
        f"counted: {c['contracts']} contracts ({c['contracts_lost']} lost, "
        f"{c['contracts_duplicated']} duplicated); for {len(r['signed'])} signed: DB "
        f"{c['acts']} acts, {c['records']} stamping records, PDFs {c['signatures']} signatures: "
        f"{lost} lost, {dup} duplicated"
    )
    if r["abandoned"]:
        print(f"flows given up: {r['abandoned'][:5]}")
    if "webhooks" in r:
        h = r["webhooks"]
        print(
            f"webhooks: {h['messages']} messages, {h['received_ids']} webhook-ids received, "
            f"{h['missing']} missing, {h['received_twice']} received twice "
            f"({h['twice_unexplained']} not after a retry), {h['bad_signatures']} bad "
            f"signatures, {h['pending']} pending"
        )


def main(phases: list[str]) -> dict:
    url = os.environ.get("DATABASE_URL", "")
    pg = stack.pg_url()
    tmp_dir = tempfile.TemporaryDirectory(prefix="chop-loadtest-")
    tmp = tmp_dir.name
    if pg:
        db_url, admin_url = stack.scratch_db(pg, f"loadtest_{os.getpid()}")
        stack.recreate(admin_url, stack.db_name(db_url))
    elif "faults" in phases and set(phases) == {"faults"}:
        db_url, admin_url = f"sqlite:///{tmp}/loadtest.sqlite3", ""
    else:
        raise SystemExit(f"make loadtest runs on PostgreSQL: set DATABASE_URL (now {url!r})")
    storage = os.environ.get("LOADTEST_STORAGE", "s3")
    moto = None
    shared: dict = {}
    if storage == "s3":
        moto, shared = s3_server()
        os.environ.update(shared)  # this process counts the PDFs from the same bucket
    try:
        stack.setup(tmp, db_url)
        from django.db import connections

        w = stack.world()
        w["seal_id"], w["seal_a_id"] = w["seal"].pk, w["seal_a"].pk
        receiver = Receiver()
        receiver.endpoint(w["a"], w["a_owner"], "a")
        receiver.endpoint(w["b"], w["b_owner"], "b")
        connections.close_all()
        served = {
            **stack.env(tmp, db_url),
            **shared,
            "CHOP_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "CHOP_WEBHOOK_ALLOW_PRIVATE": "1",
            # short enough that what a killed process held comes back within the run
            "CHOP_WEBHOOK_LEASE_SECONDS": "20",
            "CHOP_TASK_STALE_SECONDS": "20",
            "CHOP_IDEMPOTENCY_STALE_SECONDS": "30",
        }
        results: dict = {
            "cpus": os.cpu_count(),
            "database": "postgresql" if pg else "sqlite",
            "storage": "S3 (moto's server over HTTP)" if moto else "local disk",
        }
        if "load" in phases:
            _say("-- load: 2 web processes, 2 task workers")
            results["load"] = phase_load(w, served, receiver)
        if "scale" in phases:
            _say("-- scale: 1, 2, 4 web processes")
            results["scale"] = phase_scale(w, served)
        if "faults" in phases:
            _say("-- faults: SIGKILL a task worker and a web process while signing")
            results["faults"] = phase_faults(w, served, receiver)
        receiver.close()
        connections.close_all()
        return results
    finally:
        if pg:
            from django.db import connections

            connections.close_all()
            stack.recreate(admin_url, stack.db_name(db_url), drop_only=True)
        tmp_dir.cleanup()
        if moto is not None:
            stack.stop(moto)


if __name__ == "__main__":
    from chop.pdfsign import install_fast_reader

    install_fast_reader()
    phases = sys.argv[1:] or ["load", "scale", "faults"]
    results = main(phases)
    out = os.environ.get("LOADTEST_JSON", str(stack.ROOT / "var" / "loadtest.json"))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(results, fh, indent=1, ensure_ascii=False, default=str)
    report(results)
    print(f"figures written to {out}")
