"""``chop publish_log [--every SECONDS] [--now]``: the stamping log's clock.

Enqueues ``evidence.log_tasks.publish_tree_head`` (append any record not yet in the log, then publish
a signed, timestamped head if the log grew) once, or every SECONDS until stopped. ``--now`` does
the work in this process instead of the task worker, and prints the head.
"""

from __future__ import annotations

from chop.clock import ClockCommand


class Command(ClockCommand):
    help = "Append pending stamping records and publish a signed tree head (once or every N s)."

    def add_clock_arguments(self, parser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="do it in this process, not in the task worker"
        )

    def round(self, *, now: bool = False, **options) -> str | None:
        from chop.evidence import log as stamping_log
        from chop.evidence import log_tasks as tasks

        if not now:
            tasks.publish_tree_head.enqueue()
            return None
        head = stamping_log.publish_head()
        if head is None:
            return "the stamping log is empty: no head to publish"
        return (
            f"tree head of size {head.tree_size}: {head.root_hash} "
            f"(TSA {head.tsa_time:%Y-%m-%d %H:%M:%S} UTC)"
        )
