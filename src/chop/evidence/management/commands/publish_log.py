"""``chop publish_log [--every SECONDS] [--now]``: the stamping log's clock.

Enqueues ``evidence.log_tasks.publish_tree_head`` (append any record not yet in the log, then publish
a signed, timestamped head if the log grew) once, or every SECONDS until stopped. ``--now`` does
the work in this process instead of the task worker, and prints the head.
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Append pending stamping records and publish a signed tree head (once or every N s)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every", type=float, default=0, help="repeat every SECONDS (default: once)"
        )
        parser.add_argument(
            "--now", action="store_true", help="do it in this process, not in the task worker"
        )

    def handle(self, *args, every: float, now: bool, **options) -> None:
        from chop.evidence import log as stamping_log
        from chop.evidence import log_tasks as tasks

        while True:
            try:
                if now:
                    head = stamping_log.publish_head()
                    if head is None:
                        self.stdout.write("the stamping log is empty: no head to publish")
                    else:
                        self.stdout.write(
                            f"tree head of size {head.tree_size}: {head.root_hash} "
                            f"(TSA {head.tsa_time:%Y-%m-%d %H:%M:%S} UTC)"
                        )
                else:
                    tasks.publish_tree_head.enqueue()
            except Exception:  # the database may be briefly away; try again next round
                if every <= 0:
                    raise
                log.exception("could not publish the stamping log's head")
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
