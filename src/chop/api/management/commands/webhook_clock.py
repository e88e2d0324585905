"""``chop webhook_clock [--every SECONDS]``: the webhooks' clock.

Each round it (a) publishes ``grant.expired`` once for every grant whose end has passed (grants
expire by time, with no change to their row, so nothing else would notice) and (b) enqueues
again every pending delivery whose next try is more than a minute overdue (a scheduled task that
was lost, or a backend that cannot defer). Once, or every SECONDS until stopped.
"""

from __future__ import annotations

from chop.clock import ClockCommand


class Command(ClockCommand):
    help = "Announce expired grants and re-enqueue overdue webhook deliveries (once or every N s)."

    def round(self, **options) -> str | None:
        from chop.api.webhooks import sources

        expired = sources.announce_expired_grants()
        requeued = sources.requeue_overdue()
        if expired or requeued:
            return f"{expired} grant expiries announced, {requeued} deliveries re-enqueued"
        return None
