"""``chop retry_providers [--every SECONDS]``: ask failed providers again, in the task worker.

django-tasks has no scheduler, so this is the clock: it enqueues
``verification.tasks.retry_pending_providers`` once, or every SECONDS until stopped
(``run_platform`` runs it with ``--every 60`` beside the worker; in production run it as a
service, or once a minute from cron without ``--every``). Each case has its own growing delay
(``services.retry_delay``: 1, 2, 4 ... minutes, at most an hour), so a short period does not
hammer a provider that is down; it only bounds how late a due case is retried.
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue the retry of verification cases waiting for a provider (once, or every N s)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every", type=float, default=0, help="repeat every SECONDS (default: once)"
        )

    def handle(self, *args, every: float, **options) -> None:
        from chop.verification import tasks

        while True:
            try:
                tasks.retry_pending_providers.enqueue()
            except Exception:  # the database may be briefly away; try again next round
                log.exception("could not enqueue the provider retry")
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
