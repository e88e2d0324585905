"""Background work exactly once with several workers on one database: a task whose worker is
killed mid-task is queued again by ``chop reap_tasks`` and run by another worker, and its effect
is not doubled. Real ``db_worker`` processes, killed with SIGKILL."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from chop.platform.taskreaper import reap

ROOT = Path(__file__).resolve().parents[2]
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _database_url() -> str:
    """This test's database (the test database pytest made) as DATABASE_URL for a subprocess."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait(predicate, timeout: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def workers():
    """Start ``db_worker`` processes by id; all are stopped (killed) at the end."""
    started: dict[str, subprocess.Popen] = {}
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONPATH": str(ROOT)}

    def start(worker_id: str) -> subprocess.Popen:
        started[worker_id] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chop.manage",
                "db_worker",
                "--worker-id",
                worker_id,
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--no-reload",
                "--verbosity",
                "0",
            ],
            cwd=ROOT,
            env=env,
        )
        return started[worker_id]

    yield start
    for proc in started.values():
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_is_killed_is_run_again_by_another_and_its_effect_happens_once(
    settings, workers
):
    from tests.platform.worker_tasks import effect_once

    settings.TASKS = DB_BACKEND
    Group.objects.create(name="job:k1")
    result = effect_once.enqueue("k1", 4.0)
    procs = {"w1": workers("w1"), "w2": workers("w2")}

    # one worker takes it, commits the effect and lingers: kill that worker there
    row = _wait(
        lambda: DBTaskResult.objects.filter(pk=result.id, status=TaskResultStatus.RUNNING).first(),
        what="a worker to claim the task",
    )
    _wait(lambda: Group.objects.filter(name="done:k1").exists(), what="the effect")
    first = row.worker_ids[0]
    procs[first].send_signal(signal.SIGKILL)
    procs[first].wait(timeout=30)

    # django-tasks-db leaves it RUNNING for ever: the other worker never takes it
    time.sleep(1.5)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING and row.worker_ids == [first]

    call_command("reap_tasks", stale_seconds=0.5)
    done = _wait(
        lambda: DBTaskResult.objects.filter(
            pk=result.id, status=TaskResultStatus.SUCCESSFUL
        ).first(),
        what="the other worker to finish the task",
    )
    other = "w2" if first == "w1" else "w1"
    assert done.worker_ids == [first, other]
    assert done.return_value is False  # the retried run found the effect claimed already
    assert list(
        Group.objects.filter(name__startswith="effect:k1:").values_list("name", flat=True)
    ) == ["effect:k1:1"]
    assert procs[other].poll() is None  # the surviving worker is still serving


@pytest.mark.django_db
def test_the_reaper_leaves_live_tasks_alone_and_fails_one_abandoned_too_often():
    def running(started_ago: int, worker_ids: list[str]) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=TaskResultStatus.RUNNING,
            started_at=timezone.now() - datetime.timedelta(seconds=started_ago),
            worker_ids=worker_ids,
            args_kwargs={"args": ["x", 0], "kwargs": {}},
            task_path="tests.platform.worker_tasks.effect_once",
            backend_name="default",
            run_after=timezone.now(),
        )

    fresh = running(10, ["a"])
    stale = running(600, ["a"])
    hopeless = running(600, ["a", "b", "c"])
    assert reap(datetime.timedelta(seconds=300), max_attempts=3) == (1, 1)
    for row in (fresh, stale, hopeless):
        row.refresh_from_db()
    assert fresh.status == TaskResultStatus.RUNNING
    assert stale.status == TaskResultStatus.READY and stale.started_at is None
    assert hopeless.status == TaskResultStatus.FAILED and "3 workers" in hopeless.traceback
    assert reap(datetime.timedelta(seconds=300), max_attempts=3) == (0, 0)
