"""Sign and send one delivery (Standard Webhooks). Filled in by the webhook delivery work."""

from __future__ import annotations


def attempt(delivery_id: int) -> None:  # pragma: no cover - replaced by the delivery work
    raise NotImplementedError("webhook sending is not built yet")
