"""The one function through which every audit event is written."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent


def client_ip(request) -> str | None:
    """The client address as this server saw it (no trust in X-Forwarded-For by default)."""
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


class _ActiveCompany:
    """Sentinel default of ``record(company=...)``: the request's active company."""

    def __repr__(self) -> str:
        return "ACTIVE_COMPANY"


ACTIVE_COMPANY: Any = _ActiveCompany()


def record(
    action: str,
    *,
    request=None,
    actor=None,
    company=ACTIVE_COMPANY,
    obj: models.Model | None = None,
    **data: Any,
) -> AuditEvent:
    """Append an event. ``actor`` defaults to the request's user.

    ``company`` decides whose records show the event. Left out, it is the request's active
    company (right for a member acting inside their company); ``company=None`` means no company
    (a person's own account or verification), and an operator acting on a company's case passes
    that company: an operator's own active company is never the right one. ``None`` used to mean
    "the active company", which put personal events into company records.

    ``action`` is a dotted name such as ``account.registered`` or ``member.invited``; ``data`` holds
    anything else worth keeping (JSON-serialisable).
    """
    if (
        request is not None
        and actor is None
        and getattr(request, "user", None) is not None
        and request.user.is_authenticated
    ):
        actor = request.user
    if company is ACTIVE_COMPANY:
        company = getattr(request, "company", None) if request is not None else None
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
