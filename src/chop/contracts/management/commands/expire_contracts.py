"""``chop expire_contracts [--every SECONDS]``: the contracts' clock, run in the task worker.

django-tasks has no scheduler, so this enqueues ``contracts.tasks.expire_due_contracts`` and
``contracts.tasks.send_contract_reminders`` once, or every SECONDS until stopped (run it beside
the worker with ``--every 3600``, or hourly from cron without it). Both tasks are idempotent:
expiry re-checks each contract under its row lock, and a party is reminded only when its last
reminder (or its turn) is 3 days old, so a short period costs nothing.
"""

from __future__ import annotations

from chop.clock import ClockCommand


class Command(ClockCommand):
    help = "Enqueue contract expiry and automatic reminders (once, or every N seconds)."

    def round(self, **options) -> None:
        from chop.contracts import tasks

        tasks.expire_due_contracts.enqueue()
        tasks.send_contract_reminders.enqueue()
