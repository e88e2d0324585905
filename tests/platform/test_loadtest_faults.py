"""Faults under load: ``make loadtest``'s fault phase, bounded. Two gunicorn processes and two
``db_worker`` processes (with the tasks' reaper and the webhooks' clock) serve clients running
the whole API flow; twice, a task worker and a web process are killed with SIGKILL while acts
are being signed, a new worker is started and gunicorn starts the web process again. Afterwards
nothing is lost or doubled: contracts, acts, stamping records and signatures counted in the
database and the PDFs, every signature valid under pyHanko, every webhook message received by
its ``webhook-id``, no task left running. On the database the tests use (a scratch database on
the same PostgreSQL server, or an SQLite file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_killed_workers_and_web_processes_lose_and_double_nothing(tmp_path):
    out = tmp_path / "faults.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LOADTEST_FAULT_SECONDS": "24",
        "LOADTEST_CLIENTS": "4",
        "LOADTEST_JSON": str(out),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadtest", "faults"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    r = json.loads(out.read_text())["faults"]
    report = done.stdout

    # the faults happened: two workers and two web processes killed, mid-run
    assert sum("worker" in f for f in r["faults"]) == 2, report
    assert sum("web process" in f for f in r["faults"]) == 2, report
    # the clients got through: contracts were created, signed twice and verified valid
    assert r["flows"] >= 2, report
    assert not r["abandoned"], report

    c = r["count"]
    assert c["contracts"] == len(r["created"]) > 0, report
    assert c["contracts_lost"] == c["contracts_duplicated"] == 0, report
    for what in ("lost_dup_acts", "lost_dup_records", "lost_dup_signatures"):
        assert c[what] == [0, 0], (what, report)
    assert c["acts"] == c["signatures"] == 2 * len(r["signed"]), report

    consistency = r["consistency"]
    assert consistency["problems"] == [], report
    assert consistency["signatures_valid"] >= 2 * len(r["signed"]), report

    hooks = r["webhooks"]
    assert hooks["messages"] > 0, report
    assert hooks["missing"] == hooks["unknown"] == 0, report
    assert hooks["twice_unexplained"] == hooks["bad_signatures"] == 0, report
    assert hooks["pending"] == hooks["failed"] == 0, report

    # the workers were killed mid-task; what they held was queued again and finished
    assert sum("mid-task" in f for f in r["faults"]) >= 1, report
    assert r["tasks"]["claimed_again"] >= 1, r["tasks"]
    assert set(r["tasks"]) == {"SUCCESSFUL", "claimed_again"}, r["tasks"]
