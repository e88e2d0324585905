"""The one function through which every audit event is written."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent


def client_ip(request) -> str | None:
    """The client address as this server saw it (no trust in X-Forwarded-For by default)."""
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def record(
    action: str,
    *,
    request=None,
    actor=None,
    company=None,
    obj: models.Model | None = None,
    **data: Any,
) -> AuditEvent:
    """Append an event. ``actor`` and ``company`` default to the request's user and active company.

    ``action`` is a dotted name such as ``account.registered`` or ``member.invited``; ``data`` holds
    anything else worth keeping (JSON-serialisable).
    """
    if request is not None:
        if (
            actor is None
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            actor = request.user
        if company is None:
            company = getattr(request, "company", None)
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=str(actor) if actor is not None else "",
        company=company,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:254] if obj is not None else "",
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:400] if request is not None else ""),
        data=data,
    )
