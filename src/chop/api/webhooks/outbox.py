"""Turn an event into messages and deliveries, and hand them to the worker after commit.

``publish`` is the one way in: the event sources call it inside the transaction that made the
event, so a rolled-back change sends nothing, and the delivery task is enqueued only after commit
(PRODUCT.md §7: side effects after commit).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from ..models import WebhookDelivery, WebhookEndpoint, WebhookMessage


def new_msg_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def publish(company_ids: Iterable[int], event_type: str, data: dict) -> list[WebhookMessage]:
    """One message per company with an enabled endpoint that wants ``event_type``, one delivery
    per such endpoint; companies without endpoints cost one query and nothing is stored."""
    ids = sorted({c for c in company_ids if c})
    if not ids:
        return []
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(company_id__in=ids, enabled=True)
        if e.wants(event_type)
    ]
    if not endpoints:
        return []
    now = timezone.now()
    messages = []
    deliveries = []
    for company_id in ids:
        mine = [e for e in endpoints if e.company_id == company_id]
        if not mine:
            continue
        message = WebhookMessage.objects.create(
            company_id=company_id,
            msg_id=new_msg_id(),
            type=event_type,
            payload={
                "type": event_type,
                "timestamp": now.isoformat().replace("+00:00", "Z"),
                "data": data,
            },
            created_at=now,
        )
        messages.append(message)
        for endpoint in mine:
            deliveries.append(
                WebhookDelivery.objects.create(
                    message=message, endpoint=endpoint, next_attempt_at=now
                )
            )
    _enqueue_after_commit([d.pk for d in deliveries])
    return messages


def replay(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered or given-up message to its endpoint again, as a new delivery (same
    ``webhook-id``, so a receiver that already handled it can tell)."""
    again = WebhookDelivery.objects.create(
        message=delivery.message,
        endpoint=delivery.endpoint,
        next_attempt_at=timezone.now(),
        replay_of=delivery,
    )
    _enqueue_after_commit([again.pk])
    return again


def _enqueue_after_commit(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return

    def enqueue() -> None:
        from ..tasks import deliver_webhook

        for pk in delivery_ids:
            deliver_webhook.enqueue(pk)

    transaction.on_commit(enqueue)
