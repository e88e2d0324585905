"""Auto-sign over HTTP at scale: ``POST /api/v1/contracts/{id}/auto-sign`` on 1-page contracts,
8 concurrent clients, the app under gunicorn with 1, 2 and 4 worker processes, on PostgreSQL.

Measured in a child process (``python -m bench.api http``) that makes its own PostgreSQL
database on the server ``DATABASE_URL`` names (``<name>_bench_api``, dropped at the end), its own
media directory and platform CA. Company A sends N 1-page contracts to company B (one
designated position each), B holds an active auto-sign authorisation for its official seal and
an API key with the ``stamping`` scope. For each worker count a fresh gunicorn
(``chop.wsgi:application``, sync workers) is started and 8 client threads post auto-sign for
B's party, each with an ``Idempotency-Key``, as fast as the answers come.

Reported per worker count: signatures/s (acts answered 201 over the wall time of the run),
p50/p95/p99 latency. Then counted, not assumed: one SigningAct and one StampRecord per contract
in the database, and exactly one signature in each contract's final PDF (pyHanko's reader):
0 lost or duplicated. Reference, in the same child process: the bare ``signing.sign_auto``
call on the same kind of contract (no HTTP, no gate, no key), so the ratio says what the HTTP
layer and worker processes cost on top of the act.

Target (issue): ≥ 50 signatures/s and p99 < 500 ms on the 2-core machine. The app is served by
``chop serve`` (gunicorn, JSON request log, metrics) and enqueues its background work in the
database as in production (no worker runs it during the figure). Each worker count runs three
rounds of 120 contracts; the median round is reported with every round's rate, and the CPU each
answered request cost the web processes, every PostgreSQL process and the clients (from
/proc). This machine's speed drifts by half from one minute to the next (the bare act below
took 25 ms in one run and 51 ms in another, with nothing else running and no steal time), so
read the rate beside the reference. Quiet spells (the act at 27–29 ms): 1 / 2 / 4 workers
21.0 / 51.3 / 49.0/s (p99 437 / 215 / 225 ms), and 2 workers alone in another run 57.3/s
(rounds 55.8 / 57.3 / 57.7, p99 183 ms; web 25 ms, PostgreSQL 6.9 ms, clients 0.5 ms of CPU
per request). Slow spells (the act at 30–51 ms): 2 workers 36.9–43.6/s. The target is met
when the machine runs at its quiet speed. 0 lost, 0 duplicated in every run. Two workers, one
per core, is the fastest setting: a third process adds more CPU per request (the two vCPUs
share caches) than it wins back by filling the waits on PostgreSQL.

Earlier figures of the 2-worker run: 25–40/s (44 statements per request: the view read the
contract, the act locked and read it again, the answer read it a third time; the gate counted
the key in a transaction of its own), 18.2 (before the act asked webhook listeners once per
transaction and committed less), 11.1 (before the built-in TSA assembled its token from
pre-serialised DER). A request is now 34 statements, BEGIN and COMMIT counted: the key and its
maker's membership, one UPDATE that counts the key's window and records its use, the
idempotency row, then one transaction that locks the contract and reads it with its parties
and their positions once, stamps, writes the version, act, record and audit events, moves the
parties and the contract in place and answers from them, and after it the task rows. What is
left is mostly Django's cost of building each statement (~0.45 ms of CPU each against 0.07 ms
for the same round trip in raw SQL).

Skipped with a message when ``DATABASE_URL`` is not PostgreSQL (SQLite
serialises writers; the figure would say nothing about production). ``BENCH_API_N`` sets the
contracts per round (default 120), ``BENCH_API_ROUNDS`` the rounds (default 3),
``BENCH_API_WORKERS`` (e.g. ``2,3``) the worker counts.
"""

from __future__ import annotations

import json
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
import uuid

from . import Bench, child, stack

CLIENTS = 8
PRODUCTION_TASKS = "django_tasks_db.DatabaseBackend"
WORKERS = (1, 2, 4)
WARMUP = 8


def _n() -> int:
    return int(os.environ.get("BENCH_API_N", "120"))


def _rounds() -> int:
    """``BENCH_API_ROUNDS``: rounds of ``BENCH_API_N`` contracts per worker count (default 3);
    the median round is reported, with every round's rate beside it (this machine's speed
    drifts by up to half from minute to minute)."""
    return max(1, int(os.environ.get("BENCH_API_ROUNDS", "3")))


def _workers() -> tuple[int, ...]:
    """``BENCH_API_WORKERS=2,3`` measures those worker counts instead of 1, 2 and 4."""
    given = os.environ.get("BENCH_API_WORKERS", "")
    return tuple(int(w) for w in given.split(",") if w.strip()) or WORKERS


def _load(base: str, raw: str, seal_id: int, contract_ids: list[int]) -> dict:
    """8 threads post auto-sign for every contract once; latency per request, wall time.

    Each client is a plain keep-alive ``http.client`` connection: the clients share the two
    cores with the server, and ``requests`` cost them ~2 ms of CPU per call where this costs
    ~0.5, so less of what is measured is the load generator's own work."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(base)
    todo: queue.Queue[int] = queue.Queue()
    for cid in contract_ids:
        todo.put(cid)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    refusals: dict[str, str] = {}  # the first body of each other answer
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(where.hostname, where.port, timeout=120)
        headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
        body = json.dumps({"seal_id": seal_id})
        while True:
            try:
                cid = todo.get_nowait()
            except queue.Empty:
                conn.close()
                return
            t0 = time.perf_counter()
            conn.request(
                "POST",
                f"/api/v1/contracts/{cid}/auto-sign",
                body=body,
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            resp = conn.getresponse()
            text = resp.read()
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                if resp.status != 201 and str(resp.status) not in refusals:
                    refusals[str(resp.status)] = text[:300].decode(errors="replace")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(round(p * (len(latencies) - 1))))]

    return {
        "ok": statuses.get(201, 0),
        "statuses": {str(k): v for k, v in statuses.items()},
        "refusals": refusals,
        "wall_s": wall,
        "per_s": statuses.get(201, 0) / wall,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
    }


def _measured(web, w: dict, ids: list[int]) -> dict:
    """One round of load on ``ids``, with the CPU it cost the web processes, PostgreSQL (every
    server process: backends, WAL writer, autovacuum) and the clients, per answered request."""
    web_pids = [web.proc.pid, *web.pids()]
    pg_pids = stack.postgres_pids()
    before = (stack.cpu_seconds(web_pids), stack.cpu_seconds(pg_pids))
    client_before = time.process_time()
    result = _load(web.base, w["raw"], w["seal"].pk, ids)
    done = max(1, result["ok"])
    result["cpu_ms"] = {
        "web": (stack.cpu_seconds(web_pids) - before[0]) * 1000 / done,
        "postgres": (stack.cpu_seconds(pg_pids) - before[1]) * 1000 / done,
        "client": (time.process_time() - client_before) * 1000 / done,
    }
    return result


def _reference(w: dict, n: int = 10) -> float:
    """The bare act in this process: ``signing.sign_auto`` on fresh 1-page contracts (median)."""
    from chop.contracts import signing

    parties = stack.contracts(w, n + 2)
    times = []
    for i, party in enumerate(parties):
        t0 = time.perf_counter()
        signing.sign_auto(party, seal=w["seal"])
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


# Where one act's time goes: cumulative time of these functions under cProfile (which
# inflates code made of many small calls, such as asn1crypto's DER encoding, so the shares are
# indicative; the reference above is the unprofiled figure).
WHERE = {
    "sign_auto": ("chop/contracts/signing.py", "sign_auto"),
    "engine (pdfsign.sign)": ("chop/pdfsign/signing.py", "sign"),
    "  of which CMS + timestamp": ("chop/pdfsign/cms.py", "sign_digest_timed"),
    "  of which built-in TSA": ("chop/pki/tsa.py", "async_respond"),
    "party/contract state + notices (mark_signed)": ("chop/contracts/sending.py", "mark_signed"),
    "SQL statements": ("django/db/backends/utils.py", "_execute"),
}


def _where(w: dict, n: int = 10) -> dict:
    import cProfile
    import pstats

    from chop.contracts import signing

    parties = stack.contracts(w, n + 2)
    for party in parties[:2]:
        signing.sign_auto(party, seal=w["seal"])
    profile = cProfile.Profile()
    profile.enable()
    for party in parties[2:]:
        signing.sign_auto(party, seal=w["seal"])
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for label, (file, func) in WHERE.items():
        total = sum(
            ct
            for (path, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.items()
            if name == func and path.endswith(file)
        )
        found[label] = total * 1000 / n
    calls = sum(
        nc
        for (path, _line, name), (_cc, nc, _tt, _ct, _callers) in stats.items()
        if name == "_execute" and path.endswith("django/db/backends/utils.py")
    )
    found["SQL statements per act"] = calls / n
    return found


def child_http() -> dict:
    url = stack.pg_url()
    assert url, "DATABASE_URL must be PostgreSQL"
    db_url, admin_url = stack.scratch_db(url, "bench_api")
    name = stack.db_name(db_url)
    stack.recreate(admin_url, name)
    try:
        with tempfile.TemporaryDirectory(prefix="chop-bench-api-") as tmp:
            stack.setup(tmp, db_url)
            from django.db import connections

            w = stack.world()
            reference = _reference(w)
            where = _where(w)
            n = _n()
            runs = {}
            for workers in _workers():
                warm = stack.contracts(w, WARMUP)
                rounds = [[p.contract_id for p in stack.contracts(w, n)] for _ in range(_rounds())]
                connections.close_all()
                # the server enqueues its background work (previews of the signed version,
                # notices, the stamping log) in the database, as in production; no worker runs
                # it during the figure, so what is counted is what a request costs
                served = {**stack.env(tmp, db_url), "CHOP_TASKS_BACKEND": PRODUCTION_TASKS}
                web = stack.Web(workers, served)
                try:
                    _load(web.base, w["raw"], w["seal"].pk, [p.contract_id for p in warm])
                    measured = [_measured(web, w, ids) for ids in rounds]
                finally:
                    web.stop()
                # the round in the middle by rate stands for the run; all of them are shown
                measured.sort(key=lambda r: r["per_s"])
                result = measured[len(measured) // 2]
                result["rounds_per_s"] = [r["per_s"] for r in measured]
                every = [cid for ids in rounds for cid in ids]
                result["count"] = stack.count(every)
                result["n"] = len(every)
                result["ok"] = sum(r["ok"] for r in measured)
                result["statuses"] = {
                    k: sum(r["statuses"].get(k, 0) for r in measured)
                    for k in {k for r in measured for k in r["statuses"]}
                }
                runs[str(workers)] = result
                print(f"   {workers} worker(s): {json.dumps(result)}", file=sys.stderr, flush=True)
            connections.close_all()
            return {"reference": reference, "where": where, "runs": runs, "cpus": os.cpu_count()}
    finally:
        from django.db import connections

        connections.close_all()
        stack.recreate(admin_url, name, drop_only=True)


def run(bench: Bench) -> None:
    if not stack.pg_url():
        print("-- api: skipped (set DATABASE_URL=postgres://… : the API bench runs on PostgreSQL)")
        return
    r = child("bench.api", "http")
    print("   where one in-process act's time goes (cProfile, ms per act):")
    for label, value in r["where"].items():
        print(f"     {label:<48} {value:8.1f}")
    for workers, x in r["runs"].items():
        for status, text in x["refusals"].items():
            print(f"   {workers} worker(s): answered {status}: {text}")
        c = x["count"]
        cpu = x["cpu_ms"]
        lost = sum(c[k][0] for k in ("lost_dup_acts", "lost_dup_records", "lost_dup_signatures"))
        dup = sum(c[k][1] for k in ("lost_dup_acts", "lost_dup_records", "lost_dup_signatures"))
        bench.add(
            f"api: auto-sign, 1 page, {CLIENTS} clients, {workers} worker(s) (p50)",
            x["p50"],
            target="p99 < 500 ms",
            reference="sign_auto in-process",
            reference_ms=r["reference"],
            note=(
                f"{x['per_s']:.1f} sig/s (target ≥ 50; rounds "
                f"{' / '.join(f'{v:.1f}' for v in x['rounds_per_s'])}); p95 {x['p95']:.0f} ms, "
                f"p99 {x['p99']:.0f} ms; {x['ok']}/{x['n']} answered 201 {x['statuses']}; "
                f"DB {c['acts']} acts, {c['records']} records, PDFs {c['signatures']} "
                f"signatures: {lost} lost, {dup} duplicated; {r['cpus']} CPUs; CPU per "
                f"request: web {cpu['web']:.1f} ms, PostgreSQL {cpu['postgres']:.1f} ms, "
                f"clients {cpu['client']:.1f} ms"
            ),
        )


if __name__ == "__main__":
    from chop.pdfsign import install_fast_reader

    install_fast_reader()
    result = {"http": child_http}[sys.argv[1]]()
    print(json.dumps(result))
