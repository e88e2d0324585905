"""``chop webhook_clock [--every SECONDS]``: the webhooks' clock.

Each round it (a) publishes ``grant.expired`` once for every grant whose end has passed (grants
expire by time, with no change to their row, so nothing else would notice) and (b) enqueues
again every pending delivery whose next try is more than a minute overdue (a scheduled task that
was lost, or a backend that cannot defer). Once, or every SECONDS until stopped.
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Announce expired grants and re-enqueue overdue webhook deliveries (once or every N s)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every", type=float, default=0, help="repeat every SECONDS (default: once)"
        )

    def handle(self, *args, every: float, **options) -> None:
        from chop.api.webhooks import sources

        while True:
            try:
                expired = sources.announce_expired_grants()
                requeued = sources.requeue_overdue()
                if every <= 0 or expired or requeued:
                    self.stdout.write(
                        f"{expired} grant expiries announced, {requeued} deliveries re-enqueued"
                    )
            except Exception:  # the database may be briefly away; try again next round
                if every <= 0:
                    raise
                log.exception("the webhook clock's round failed")
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
