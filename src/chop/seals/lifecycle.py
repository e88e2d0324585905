"""A seal's life: pending review → active ⇄ disabled → revoked (final, with a reason).

Every change goes through :func:`change_state`: it re-reads the seal under a row lock, checks the
move is allowed from the state the database holds *now* (two keepers clicking at once: the second
finds the seal already moved and gets :class:`SealStateError`), writes the new state and an audit
event in one transaction. Who may act is decided by the callers through ``orgs.permissions``
(``can_change_seal_state``, ``can_review_seal``); this module only knows which moves exist.

Approving an uploaded official seal replaces the active one: the old seal is revoked in the same
transaction, so the database constraint "one active official seal per company" holds throughout.
Revoking the official seal lets a new one be made (generated again or uploaded for review).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chop.audit.events import record

from .models import Seal

S = Seal.Status

# action -> (states it may start from, state it ends in, audit action)
MOVES: dict[str, tuple[frozenset[str], str, str]] = {
    "approve": (frozenset({S.PENDING}), S.ACTIVE, "seal.approved"),
    "reject": (frozenset({S.PENDING}), S.REVOKED, "seal.rejected"),
    "disable": (frozenset({S.ACTIVE}), S.DISABLED, "seal.disabled"),
    "enable": (frozenset({S.DISABLED}), S.ACTIVE, "seal.enabled"),
    "revoke": (frozenset({S.ACTIVE, S.DISABLED, S.PENDING}), S.REVOKED, "seal.revoked"),
}
NEEDS_REASON = frozenset({"reject", "revoke"})
MAX_REASON = 300
# Stored as the reason of an official seal an approved upload replaced; pages translate it.
REPLACED_REASON = "replaced by an approved upload"


# The states as pages name them. With a context: Django's auth catalogue, which comes first in
# INSTALLED_APPS, translates a bare "Disabled" as 禁用 and would win over ours.
STATE_LABELS = {
    S.PENDING: pgettext_lazy("seal state", "Pending review"),
    S.ACTIVE: pgettext_lazy("seal state", "Active"),
    S.DISABLED: pgettext_lazy("seal state", "Disabled"),
    S.REVOKED: pgettext_lazy("seal state", "Revoked"),
}


def state_label(status: str) -> str:
    return str(STATE_LABELS.get(status, status))


class SealStateError(Exception):
    """The move is not possible (wrong state now, or a reason is missing); ``message`` is for
    the user, in their language."""

    def __init__(self, message, *, code: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


def allowed(seal: Seal, action: str) -> bool:
    """Whether ``action`` is a move out of the seal's current state (for showing buttons)."""
    move = MOVES.get(action)
    return move is not None and seal.status in move[0]


def change_state(seal: Seal, action: str, *, by, reason: str = "", request=None) -> Seal:
    """Apply ``action`` (approve, reject, disable, enable, revoke) to ``seal``; return it fresh.

    Raises :class:`SealStateError` if the seal is no longer in a state the action starts from,
    or if the action needs a reason and none was given. Nothing is written then.
    """
    if action not in MOVES:
        raise ValueError(f"unknown seal action {action!r}")
    reason = " ".join((reason or "").split())[:MAX_REASON]
    if action in NEEDS_REASON and not reason:
        raise SealStateError(_("Please give a reason."), code="reason_required")
    try:
        return _change(seal, action, by=by, reason=reason, request=request)
    except IntegrityError:
        # Enabling (or approving) a second official or legal-representative seal while another
        # is active: the database's one-active rule refuses it, and so do we, in words.
        raise SealStateError(
            _(
                "Another seal of this kind is active. Revoke it first; a company has only one "
                "at a time. Nothing was changed."
            ),
            code="one_active",
        ) from None


def _change(seal: Seal, action: str, *, by, reason: str, request) -> Seal:
    starts, ends, audit_action = MOVES[action]
    with transaction.atomic():
        current = Seal.objects.select_for_update().get(pk=seal.pk)
        if current.status not in starts:
            raise SealStateError(
                _("This seal is now “%(state)s”; the page was out of date. Nothing was changed.")
                % {"state": state_label(current.status)},
                code="wrong_state",
            )
        now = timezone.now()
        replaced = []
        if action == "approve" and current.kind == Seal.Kind.OFFICIAL and current.company_id:
            # the old official seal goes, active or disabled: a disabled one enabled later
            # would be a second official seal
            replaced = list(
                Seal.objects.select_for_update()
                .filter(
                    company_id=current.company_id,
                    kind=Seal.Kind.OFFICIAL,
                    status__in=(S.ACTIVE, S.DISABLED),
                )
                .exclude(pk=current.pk)
                .order_by("status", "pk")  # "active" sorts first
            )
            for old in replaced:
                write_state(old, S.REVOKED, REPLACED_REASON, now)
                record_change("seal.revoked", old, by, request, reason=old.status_reason)
        if action in ("approve", "reject"):
            current.reviewed_by, current.reviewed_at = by, now
        write_state(current, ends, reason, now)
        extra = {"replaces": ", ".join(old.code for old in replaced)} if replaced else {}
        record_change(audit_action, current, by, request, reason=reason, **extra)
    return current


def reason_display(reason: str) -> str:
    """A stored reason as the page shows it: the platform's own reasons in the user's language,
    a person's words as they wrote them."""
    if reason == REPLACED_REASON:
        return str(_("replaced by an approved upload"))
    return reason


def write_state(seal: Seal, status: str, reason: str, now) -> None:
    """Set and save the state and its reason (and the revocation time). The caller holds the
    row lock and records the change with :func:`record_change`."""
    seal.status = status
    seal.status_reason = reason
    if status == S.REVOKED:
        seal.revoked_at = now
    seal.save()


def record_change(action: str, seal: Seal, by, request, **data) -> None:
    """The audit event of a state change: the seal, its kind, code and new state, and ``data``
    (empty values left out)."""
    record(
        action,
        request=request,
        actor=by,
        company=seal.company,
        obj=seal,
        kind=seal.kind,
        code=seal.code,
        state=seal.status,
        **{k: v for k, v in data.items() if v},
    )


def history(seal: Seal):
    """Every audit event about this seal, oldest first: who, when, what, why."""
    from chop.audit.models import AuditEvent

    return AuditEvent.objects.filter(
        object_type=seal._meta.label_lower, object_id=str(seal.pk)
    ).order_by("created_at", "pk")
