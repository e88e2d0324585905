"""Webhook signing secrets: ``whsec_`` + base64 of 24 random bytes (Standard Webhooks), and the
rotation that keeps the old one signing for a day so receivers can switch without losing events."""

from __future__ import annotations

import base64
import datetime as dt
import secrets as _random

from django.utils import timezone

OVERLAP = dt.timedelta(hours=24)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(_random.token_bytes(24)).decode()


def rotate(endpoint, now: dt.datetime | None = None) -> str:
    """Give ``endpoint`` a new secret; the old one signs too until ``now + OVERLAP``. Returns the
    new secret (shown once)."""
    now = now or timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_until = now + OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_until"])
    return endpoint.secret


def signing_secrets(endpoint, now: dt.datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with now: the current one, plus the previous one while
    the rotation overlap lasts."""
    now = now or timezone.now()
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_until and endpoint.previous_until > now:
        found.append(endpoint.previous_secret)
    return found
