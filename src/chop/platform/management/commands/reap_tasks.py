"""``chop reap_tasks [--every SECONDS]``: queue again the tasks whose worker died mid-task.

See ``chop.platform.taskreaper``. The age after which a RUNNING task counts as abandoned is
``CHOP_TASK_STALE_SECONDS`` (``--stale-seconds``), the claims after which it is failed instead
``CHOP_TASK_MAX_ATTEMPTS``. Once, or every SECONDS until stopped (``run_platform`` runs it).
"""

from __future__ import annotations

import datetime

from django.conf import settings

from chop.clock import ClockCommand


class Command(ClockCommand):
    help = "Queue again (or fail) the background tasks whose worker died (once or every N s)."

    def add_clock_arguments(self, parser) -> None:
        parser.add_argument(
            "--stale-seconds",
            type=float,
            default=None,
            help="RUNNING for longer than this counts as abandoned (CHOP_TASK_STALE_SECONDS)",
        )

    def round(self, *, stale_seconds: float | None = None, **options) -> str | None:
        from chop.platform.taskreaper import reap

        seconds = settings.CHOP_TASK_STALE_SECONDS if stale_seconds is None else stale_seconds
        requeued, failed = reap(
            datetime.timedelta(seconds=seconds), settings.CHOP_TASK_MAX_ATTEMPTS
        )
        if requeued or failed:
            return f"{requeued} abandoned tasks queued again, {failed} failed after too many tries"
        return None
