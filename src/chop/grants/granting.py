"""Granting a seal, revoking a grant, and setting a seal's approvers (PRODUCT.md §3).

The pages and any later API call these functions, which check everything themselves (who may
grant, which seal, which grantees, the validity window, the cap, the scope), so no caller can
make a grant the product would not allow. A refused change raises ``GrantError`` carrying
per-field messages (a ``ValidationError`` a form can take as its own) and writes nothing.

Every change is audited; the people a grant names (by name, or by holding one of its roles now)
are told after commit, in their language, so a change that rolls back told nobody.
Revoking is one conditional UPDATE (``revoked_at IS NULL``): of two revokes at once exactly one
revokes and is recorded, and ``may_stamp`` refuses the grant from that instant on, because it
reads grants from the database on every call.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chop.audit.events import record
from chop.orgs import permissions
from chop.orgs.access import membership_in
from chop.orgs.models import Membership, Role
from chop.seals.models import Seal

from .models import GRANT_MAX_DAYS, ApprovalMode, ApprovalRule, Grant, normalise_type

log = logging.getLogger(__name__)

MAX_TYPES = 20
MAX_TYPE_CHARS = 64
MAX_NOTE_CHARS = 200


class GrantError(ValidationError):
    """A grant, revoke or approver change the rules refuse. ``message_dict`` (or ``messages``)
    holds the bilingual reasons, keyed by the form field they concern."""


def membership_of(user, seal: Seal) -> Membership | None:
    return membership_in(user, seal.company_id)


def grantable(seal: Seal) -> bool:
    """A seal can be granted when it is a company's own seal (not a person's, not the legal
    representative's, which is theirs alone) and usable for stamping now."""
    return seal.company_id is not None and seal.owner_id is None and seal.usable_for_stamping


def clean_types(values: Iterable[str]) -> list[str]:
    """The scope's contract types as the user spelled them, without blanks and duplicates
    (duplicates compared as ``normalise_type`` compares them). Raises ``GrantError``."""
    kept: list[str] = []
    seen: set[str] = set()
    for raw in values:
        value = " ".join((raw or "").split())
        if not value:
            continue
        if len(value) > MAX_TYPE_CHARS:
            raise GrantError(
                {
                    "contract_types": _("A contract type has at most %(n)d characters: %(type)s")
                    % {"n": MAX_TYPE_CHARS, "type": value[:20] + "…"}
                }
            )
        key = normalise_type(value)
        if key not in seen:
            seen.add(key)
            kept.append(value)
    if len(kept) > MAX_TYPES:
        raise GrantError(
            {"contract_types": _("List at most %(n)d contract types.") % {"n": MAX_TYPES}}
        )
    return kept


def grant(
    seal: Seal,
    *,
    by,
    members: Iterable = (),
    roles: Iterable[str] = (),
    contract_types: Iterable[str] = (),
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    max_uses: int | None = None,
    note: str = "",
    request=None,
) -> Grant:
    """Grant ``seal`` to ``members`` and/or everyone holding one of ``roles``.

    ``contract_types`` empty means all contracts; ``ends_at`` ``None`` means long-term; a start
    in the past starts now (a grant never authorises what already happened)."""
    if not permissions.can_grant_seal(membership_of(by, seal), seal):
        raise GrantError(_("Only the owner, administrators and seal keepers may grant a seal."))
    if not grantable(seal):
        raise GrantError(
            _(
                "Only an active company seal can be granted (not a disabled or revoked seal, and not a person's own seal)."
            )
        )
    errors: dict[str, list[str]] = {}
    member_list = list({u.pk: u for u in members}.values())
    role_list = list(dict.fromkeys(roles))
    if not member_list and not role_list:
        errors.setdefault("members", []).append(_("Choose at least one member or role."))
    unknown = [r for r in role_list if r not in Role.values]
    if unknown:
        errors.setdefault("roles", []).append(_("Unknown role: %(role)s") % {"role": unknown[0]})
    if member_list:
        inside = set(
            Membership.objects.filter(
                company_id=seal.company_id, user__in=[u.pk for u in member_list]
            ).values_list("user_id", flat=True)
        )
        if any(u.pk not in inside for u in member_list):
            errors.setdefault("members", []).append(
                _("A seal can only be granted to members of its company.")
            )
    now = timezone.now()
    start = max(starts_at or now, now)
    if ends_at is not None:
        if ends_at <= start:
            errors.setdefault("ends_at", []).append(
                _("The end must be after the start (and after now).")
            )
        elif ends_at - start > dt.timedelta(days=GRANT_MAX_DAYS):
            errors.setdefault("ends_at", []).append(
                _("A grant lasts at most 3 years; for longer, choose long-term.")
            )
    if max_uses is not None and max_uses < 1:
        errors.setdefault("max_uses", []).append(
            _("The cap is at least 1 use; leave it empty for no cap.")
        )
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE_CHARS:
        errors.setdefault("note", []).append(
            _("The note has at most %(n)d characters.") % {"n": MAX_NOTE_CHARS}
        )
    try:
        types = clean_types(contract_types)
    except GrantError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
        types = []
    if errors:
        raise GrantError(errors)

    with transaction.atomic():
        made = Grant.objects.create(
            company_id=seal.company_id,
            seal=seal,
            roles=role_list,
            contract_types=types,
            starts_at=start,
            ends_at=ends_at,
            max_uses=max_uses,
            note=note,
            granted_by=by,
        )
        if member_list:
            made.members.set(member_list)
        record(
            "grant.created",
            request=request,
            actor=by,
            company=seal.company,
            obj=made,
            seal=seal.code,
            members=", ".join(u.display_name for u in member_list),
            roles=", ".join(role_list),
            contract_types=types,
            ends_at=ends_at.isoformat() if ends_at else "",
            max_uses=max_uses,
        )
        _notify(made, revoked=False)
    return made


def revoke(grant_row: Grant, *, by, request=None) -> Grant:
    """End ``grant_row`` now. Two revokes at once: one wins, one ``GrantError``."""
    seal = grant_row.seal
    if not permissions.can_grant_seal(membership_of(by, seal), seal):
        raise GrantError(_("Only the owner, administrators and seal keepers may revoke a grant."))
    now = timezone.now()
    with transaction.atomic():
        live = Grant.objects.filter(pk=grant_row.pk, revoked_at__isnull=True).exclude(
            ends_at__lte=now
        )
        if not live.update(revoked_at=now, revoked_by=by):
            current = Grant.objects.get(pk=grant_row.pk)
            if current.revoked_at is not None:
                raise GrantError(_("This grant was already revoked."))
            raise GrantError(_("This grant has already expired; there is nothing to revoke."))
        grant_row.revoked_at, grant_row.revoked_by = now, by
        record(
            "grant.revoked",
            request=request,
            actor=by,
            company=seal.company,
            obj=grant_row,
            seal=seal.code,
            default=grant_row.is_default,
        )
        _notify(grant_row, revoked=True)
    return grant_row


def set_approvers(seal: Seal, *, by, approvers: Iterable, mode: str, request=None) -> ApprovalRule:
    """Choose who approves use requests for ``seal`` and whether one or all must approve.

    Nobody chosen means the default: the owner, administrators and seal approvers, any one."""
    if not permissions.can_grant_seal(membership_of(by, seal), seal):
        raise GrantError(_("Only the owner, administrators and seal keepers may set approvers."))
    if seal.owner_id is not None:
        raise GrantError(_("A person's own seal needs no approvers."))
    chosen = list({u.pk: u for u in approvers}.values())
    errors: dict[str, list[str]] = {}
    if mode not in ApprovalMode.values:
        errors["mode"] = [_("Choose one approver or all approvers.")]
    able = {
        m.user_id
        for m in Membership.objects.filter(
            company_id=seal.company_id, user__in=[u.pk for u in chosen]
        )
        if permissions.can_approve_seal_use(m)
    }
    if any(u.pk not in able for u in chosen):
        errors["approvers"] = [
            _(
                "Approvers must be members whose role may approve (owner, administrator, seal approver)."
            )
        ]
    if errors:
        raise GrantError(errors)
    with transaction.atomic():
        rule, _created = ApprovalRule.objects.select_for_update().get_or_create(seal=seal)
        rule.mode = mode
        rule.updated_by = by
        rule.save()
        rule.approvers.set(chosen)
        record(
            "seal.approvers_changed",
            request=request,
            actor=by,
            company=seal.company,
            obj=seal,
            code=seal.code,
            approvers=", ".join(u.display_name for u in chosen),
            mode=mode,
        )
    return rule


# --- telling the grantees ---------------------------------------------------------------------


def grantees(grant_row: Grant) -> list:
    """The active users a grant names: by name, and those holding one of its roles now."""
    users = {u.pk: u for u in grant_row.members.all() if u.is_active}
    if grant_row.roles:
        for m in Membership.objects.filter(
            company_id=grant_row.company_id, role__in=grant_row.roles
        ).select_related("user"):
            if m.user.is_active:
                users.setdefault(m.user_id, m.user)
    return list(users.values())


def _deliver(address: str, subject: str, body: str) -> None:
    from chop.accounts import senders

    try:
        senders.send_message(address, subject, body)
    except Exception as exc:  # a failed notice must not undo the change (it is audited)
        log.warning("could not notify a grantee: %s", exc)


def _notify(grant_row: Grant, *, revoked: bool) -> int:
    """Queue one message per grantee, rendered now in their language, sent after commit."""
    seal = grant_row.seal
    link = settings.SITE_URL + reverse("seal_grants", args=[seal.pk])
    n = 0
    for user in grantees(grant_row):
        address = user.phone or user.email or user.login
        if not address:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            if revoked:
                subject = _("Your grant for the seal %(seal)s was revoked") % {"seal": seal.name}
                body = _(
                    "%(company)s revoked your grant to stamp with %(seal)s (seal code %(code)s). "
                    "To use it, ask for approval when signing: %(link)s"
                )
            else:
                subject = _("You may stamp with the seal %(seal)s") % {"seal": seal.name}
                body = _(
                    "%(company)s granted you the seal %(seal)s (seal code %(code)s) for "
                    "%(scope)s, %(validity)s. Details: %(link)s"
                )
            body = body % {
                "company": seal.company.name,
                "seal": seal.name,
                "code": seal.code,
                "scope": scope_text(grant_row),
                "validity": validity_text(grant_row),
                "link": link,
            }
            transaction.on_commit(partial(_deliver, address, str(subject), str(body)))
        n += 1
    return n


def scope_text(grant_row: Grant) -> str:
    if not grant_row.contract_types:
        return str(_("all contracts"))
    return str(_("contracts of type %(types)s") % {"types": "、".join(grant_row.contract_types)})


def validity_text(grant_row: Grant) -> str:
    start = timezone.localtime(grant_row.starts_at).strftime("%Y-%m-%d %H:%M")
    if grant_row.ends_at is None:
        return str(_("long-term from %(start)s") % {"start": start})
    end = timezone.localtime(grant_row.ends_at).strftime("%Y-%m-%d %H:%M")
    return str(_("from %(start)s until %(end)s") % {"start": start, "end": end})
