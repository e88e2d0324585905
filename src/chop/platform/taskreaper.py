"""Tasks whose worker died: put back in the queue, or failed after too many tries.

django-tasks-db's ``db_worker`` claims a task by setting it RUNNING (row locked with SKIP LOCKED,
so two workers never take the same one) and marks it SUCCESSFUL or FAILED when it returns. A
worker killed in between (SIGKILL, out of memory, the machine lost) leaves the task RUNNING for
ever: nothing in the backend looks at it again. The workers keep no heartbeat, so a task counts
as abandoned when it has been RUNNING for longer than ``stale_after`` (longer than any task
takes: ``CHOP_TASK_STALE_SECONDS``). The reaper puts it back to READY for another worker, or
marks it FAILED once it has been claimed ``max_attempts`` times (a task that kills its worker
each time must not loop for ever).

A re-queued task may therefore run again after part of its effects happened, and a task judged
stale may in fact still be running. Every task is written for that: it re-reads its row and
claims its effect with a conditional UPDATE (the evidence report and the letter move from pending
to ready once, a webhook delivery is leased, previews skip the pages already stored), so its
effects happen once however many times it runs.
"""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)


def reap(stale_after: datetime.timedelta, max_attempts: int) -> tuple[int, int]:
    """Re-queue or fail the tasks RUNNING for longer than ``stale_after``; (requeued, failed)."""
    now = timezone.now()
    requeued = failed = 0
    stale = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - stale_after
    ).only("id", "started_at", "worker_ids", "task_path")
    for task in stale:
        # conditional on the claim we saw: a worker that finishes meanwhile, or another
        # reaper that got here first, leaves this UPDATE matching nothing
        same = DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        )
        if len(task.worker_ids) >= max_attempts:
            if same.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="chop.platform.taskreaper.Abandoned",
                traceback=f"abandoned by {len(task.worker_ids)} workers: "
                f"{', '.join(task.worker_ids)}",
            ):
                failed += 1
                log.error(
                    "task %s (%s) abandoned %d times: failed",
                    task.pk,
                    task.task_path,
                    len(task.worker_ids),
                )
        elif same.update(status=TaskResultStatus.READY, started_at=None):
            requeued += 1
            log.warning(
                "task %s (%s) abandoned by worker %s: queued again",
                task.pk,
                task.task_path,
                task.worker_ids[-1] if task.worker_ids else "?",
            )
    return requeued, failed
