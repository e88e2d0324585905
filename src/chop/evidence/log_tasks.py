"""Background work of the stamping log (django-tasks): appending stamping records to the log
and publishing its signed tree heads. Both are idempotent: they take what is pending under the
sequencer's lock, so a task that runs twice or late does nothing wrong."""

from __future__ import annotations

import logging

from django_tasks import task

log = logging.getLogger(__name__)


@task()
def append_to_log() -> int:
    """Append every stamping record not yet in the log (enqueued when one commits)."""
    from . import log as stamping_log

    return stamping_log.append_pending()


@task()
def publish_tree_head() -> int:
    """Append what is pending and publish a signed tree head if the log grew (the clock:
    ``chop publish_log --every N``). Returns the head's size (0 for an empty log)."""
    from . import log as stamping_log

    head = stamping_log.publish_head()
    return head.tree_size if head else 0


def _append_waiting() -> bool:
    """Whether an append is queued and not started: it takes every record committed before it
    runs, this one included, so another would only be a row and a commit more per stamp (at
    many stamps a second the queue holds one most of the time). Known only for the database
    backend; for another, no."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(append_to_log.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.ready().filter(task_path=append_to_log.module_path).exists()


def enqueue_append() -> None:
    try:
        if _append_waiting():
            return
        append_to_log.enqueue()
    except Exception:
        # The record is committed; the next clock tick (publish_log) appends it.
        log.exception("could not enqueue the stamping log append")
