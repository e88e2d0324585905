"""Background work of the API: webhook deliveries (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_webhook(delivery_id: int) -> None:
    """One HTTP try of a delivery; the sender schedules the next try itself when it fails."""
    from .webhooks import sender

    sender.attempt(delivery_id)
