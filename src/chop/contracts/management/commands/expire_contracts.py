"""``chop expire_contracts [--every SECONDS]``: the contracts' clock, run in the task worker.

django-tasks has no scheduler, so this enqueues ``contracts.tasks.expire_due_contracts`` and
``contracts.tasks.send_contract_reminders`` once, or every SECONDS until stopped (run it beside
the worker with ``--every 3600``, or hourly from cron without it). Both tasks are idempotent:
expiry re-checks each contract under its row lock, and a party is reminded only when its last
reminder (or its turn) is 3 days old, so a short period costs nothing.
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue contract expiry and automatic reminders (once, or every N seconds)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every", type=float, default=0, help="repeat every SECONDS (default: once)"
        )

    def handle(self, *args, every: float, **options) -> None:
        from chop.contracts import tasks

        while True:
            for job in (tasks.expire_due_contracts, tasks.send_contract_reminders):
                try:
                    job.enqueue()
                except Exception:  # the database may be briefly away; try again next round
                    log.exception("could not enqueue %s", job.name)
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
