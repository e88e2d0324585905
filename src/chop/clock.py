"""The shape every clock command shares: do one round once, or every ``--every`` seconds.

django-tasks has no scheduler, so each periodic job has a small management command that enqueues
(or does) its round; ``run_platform`` runs them beside the worker with ``--every``, production runs
them as services or from cron without it. A round that fails while repeating is logged and
retried next round (the database may be briefly away); run once, it raises, so cron sees it.
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

log = logging.getLogger(__name__)


class ClockCommand(BaseCommand):
    """Subclasses set ``help`` and implement :meth:`round` (returning a line to print, or
    ``None``); :meth:`add_clock_arguments` adds their own options."""

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every", type=float, default=0, help="repeat every SECONDS (default: once)"
        )
        self.add_clock_arguments(parser)

    def add_clock_arguments(self, parser) -> None:
        pass

    def round(self, **options) -> str | None:
        raise NotImplementedError

    def handle(self, *args, every: float, **options) -> None:
        while True:
            try:
                line = self.round(**options)
                if line:
                    self.stdout.write(line)
            except Exception:
                if every <= 0:
                    raise
                log.exception("a round of %s failed", type(self).__module__)
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
