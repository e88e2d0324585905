"""``chop retry_providers [--every SECONDS]``: ask failed providers again, in the task worker.

django-tasks has no scheduler, so this is the clock: it enqueues
``verification.tasks.retry_pending_providers`` once, or every SECONDS until stopped
(``run_platform`` runs it with ``--every 60`` beside the worker; in production run it as a
service, or once a minute from cron without ``--every``). Each case has its own growing delay
(``services.retry_delay``: 1, 2, 4 ... minutes, at most an hour), so a short period does not
hammer a provider that is down; it only bounds how late a due case is retried.
"""

from __future__ import annotations

from chop.clock import ClockCommand


class Command(ClockCommand):
    help = "Enqueue the retry of verification cases waiting for a provider (once, or every N s)."

    def round(self, **options) -> None:
        from chop.verification import tasks

        tasks.retry_pending_providers.enqueue()
