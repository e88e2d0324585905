"""Auto-sign authorisations (静默签): created by the owner with a one-time code, revoked at once.

Creation is two steps. The form's terms are checked and kept server side, in the session, while a
``confirm`` code goes to the owner's own phone or mailbox (``chop.accounts.confirm``, as for the
signing page's intent codes; the OTP limits apply unchanged). The second POST carries only the
code: the terms it creates come from the session, never from the client, and are checked again. A right code creates the authorisation in state
"preparing" and queues its letter (``tasks.make_autosign_letter``); it works once the letter is
signed. A wrong or expired code creates nothing.

Revocation is one conditional UPDATE on ``revoked_at IS NULL``: of two revocations at once,
exactly one happens, is recorded and notifies the owner and the administrators.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chop.accounts import confirm, otp
from chop.audit.events import record
from chop.orgs import permissions
from chop.orgs.models import Membership
from chop.seals.models import Seal

from .models import AUTOSIGN_MAX_DAYS, AutoSignAuthorisation

log = logging.getLogger(__name__)

MAX_DAILY_CAP = 10_000
CHANNELS = confirm.CHANNELS
SESSION_PREFIX = "autosign-pending:"
#: how long the terms wait in the session for their code
PENDING_TTL = dt.timedelta(minutes=15)


class AutoSignError(Exception):
    """A refused step; ``message`` is translated, for the owner."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def eligible(seal: Seal) -> bool:
    """A seal auto-sign may use: a usable company seal, not a person's (the legal
    representative's seal belongs to a person)."""
    return (
        seal.company_id is not None
        and seal.owner_id is None
        and seal.kind != Seal.Kind.LEGAL_REP
        and seal.usable_for_stamping
    )


# --- the terms kept between the two steps ---------------------------------------------------


@dataclass
class Terms:
    """What the owner asked for on the form, kept in the session until the code comes back."""

    contract_types: list[str]
    starts_at: dt.datetime
    ends_at: dt.datetime
    daily_cap: int
    note: str
    channel: str
    made_at: dt.datetime = field(default_factory=timezone.now)

    def to_session(self) -> dict:
        data = asdict(self)
        for k in ("starts_at", "ends_at", "made_at"):
            data[k] = data[k].isoformat()
        return data

    @classmethod
    def from_session(cls, data: dict) -> Terms:
        data = dict(data)
        for k in ("starts_at", "ends_at", "made_at"):
            data[k] = dt.datetime.fromisoformat(data[k])
        return cls(**data)


def _key(seal: Seal) -> str:
    return f"{SESSION_PREFIX}{seal.pk}"


def keep_terms(request, seal: Seal, terms: Terms) -> None:
    request.session[_key(seal)] = terms.to_session()


def kept_terms(request, seal: Seal) -> Terms | None:
    """The terms waiting for their code, or None (none, unreadable, or too old)."""
    data = request.session.get(_key(seal))
    if not isinstance(data, dict):
        return None
    try:
        terms = Terms.from_session(data)
    except (KeyError, TypeError, ValueError):
        return None
    if timezone.now() - terms.made_at > PENDING_TTL:
        return None
    return terms


def forget_terms(request, seal: Seal) -> None:
    request.session.pop(_key(seal), None)


def check_terms(terms: Terms, now: dt.datetime | None = None) -> None:
    """Raise :class:`AutoSignError` unless the terms are within the product's limits (the form
    checks the same, and this runs again on the confirming POST)."""
    now = now or timezone.now()
    if not 1 <= terms.daily_cap <= MAX_DAILY_CAP:
        raise AutoSignError(
            _("The daily cap must be between 1 and %(max)d.") % {"max": MAX_DAILY_CAP},
            code="cap",
        )
    if terms.ends_at <= max(terms.starts_at, now):
        raise AutoSignError(_("The end must be after the start and in the future."), code="ends")
    if terms.ends_at - terms.starts_at > dt.timedelta(days=AUTOSIGN_MAX_DAYS):
        raise AutoSignError(_("Auto-sign may be authorised for at most one year."), code="too_long")


# --- the owner's code (chop.accounts.confirm, as the signing page's intent codes) ---------


def code_target(user, channel: str) -> str | None:
    return confirm.code_target(user, channel)


def channels(user) -> list[str]:
    return confirm.channels(user)


def send_code(user, channel: str, *, request=None) -> otp.Issued:
    """A ``confirm`` code to the owner's own phone or mailbox."""
    try:
        return confirm.send_code(user, channel, request=request)
    except confirm.ConfirmError as exc:
        raise AutoSignError(exc.message, code=exc.code) from None


# --- creation -------------------------------------------------------------------------------


def authorise(
    seal: Seal, membership: Membership | None, user, terms: Terms, code: str, *, request=None
) -> AutoSignAuthorisation:
    """Check everything again, verify the code and create the authorisation ("preparing"),
    audited, with its letter queued after commit. Raises :class:`AutoSignError`."""
    if not permissions.can_authorise_autosign(membership, seal):
        raise AutoSignError(_("Only the owner may authorise auto-sign."), code="not_owner")
    if not eligible(seal):
        raise AutoSignError(
            _("Auto-sign can use only an active company seal with a certificate."),
            code="seal_unusable",
        )
    now = timezone.now()
    check_terms(terms, now)
    try:
        confirm.verify_code(user, terms.channel, code)
    except confirm.ConfirmError as exc:
        raise AutoSignError(exc.message, code=exc.code) from None
    from .tasks import enqueue_letter

    with transaction.atomic():
        auth = AutoSignAuthorisation.objects.create(
            company_id=seal.company_id,
            seal=seal,
            contract_types=terms.contract_types,
            starts_at=max(terms.starts_at, now),
            ends_at=terms.ends_at,
            daily_cap=terms.daily_cap,
            note=terms.note[:200],
            confirmed_by=user,
            confirmed_at=now,
            confirm_method=terms.channel,
            created_at=now,
        )
        record(
            "autosign.authorised",
            request=request,
            actor=user,
            company=seal.company,
            obj=auth,
            seal=seal.code,
            contract_types=auth.contract_types,
            starts_at=auth.starts_at.isoformat(),
            ends_at=auth.ends_at.isoformat(),
            daily_cap=auth.daily_cap,
            method=terms.channel,
        )
        enqueue_letter(auth.pk)
    return auth


# --- the letter's progress ------------------------------------------------------------------


def letter_problem(auth: AutoSignAuthorisation) -> str | None:
    """Why the letter is not ready, if its last attempt failed (and was not retried since)."""
    if auth.letter_signed_at is not None or auth.revoked_at is not None:
        return None
    from chop.audit.models import AuditEvent

    last = (
        AuditEvent.objects.filter(
            object_type=auth._meta.label_lower,
            object_id=str(auth.pk),
            action__in=("autosign.letter_failed", "autosign.letter_retried"),
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is None or last.action != "autosign.letter_failed":
        return None
    return _("The authorisation letter could not be made (%(error)s). Try again.") % {
        "error": (last.data or {}).get("error", "?")
    }


def retry_letter(auth: AutoSignAuthorisation, user, *, request=None) -> bool:
    """Queue the letter again (the owner, from the page) if it is still missing."""
    if auth.letter_signed_at is not None or auth.revoked_at is not None:
        return False
    from .tasks import enqueue_letter

    with transaction.atomic():
        record(
            "autosign.letter_retried",
            request=request,
            actor=user,
            company=auth.company,
            obj=auth,
        )
        enqueue_letter(auth.pk)
    return True


# --- revocation -----------------------------------------------------------------------------


def revoke(auth: AutoSignAuthorisation, user, *, request=None) -> bool:
    """Revoke at once; True if this call revoked it (False: it already was)."""
    now = timezone.now()
    with transaction.atomic():
        done = AutoSignAuthorisation.objects.filter(pk=auth.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=user
        )
        if not done:
            return False
        record(
            "autosign.revoked",
            request=request,
            actor=user,
            company=auth.company,
            obj=auth,
            seal=auth.seal.code,
        )
        transaction.on_commit(partial(_notify_revoked, auth.pk, user.pk), robust=True)
    auth.revoked_at, auth.revoked_by = now, user
    return True


def _notify_revoked(auth_id: int, by_id: int) -> None:
    """Tell the owner and the administrators (not the one who revoked it), after commit."""
    from chop.accounts.senders import send_message

    auth = AutoSignAuthorisation.objects.select_related("company", "seal", "revoked_by").get(
        pk=auth_id
    )
    who = auth.revoked_by.display_name if auth.revoked_by else ""
    members = Membership.objects.filter(
        company_id=auth.company_id, role__in=permissions.MANAGERS
    ).select_related("user")
    for m in members:
        if m.user_id == by_id:
            continue
        to = m.user.email or m.user.phone
        if not to:
            continue
        # in the recipient's language, as grant and approval notices are
        with translation.override(m.user.language or settings.LANGUAGE_CODE):
            subject = str(_("Auto-sign authorisation revoked"))
            body = str(
                _(
                    "%(company)s: %(who)s revoked auto-sign authorisation %(id)s of the seal "
                    "%(seal)s (seal code %(code)s); the platform no longer stamps under it."
                )
                % {
                    "company": auth.company.name,
                    "who": who,
                    "id": auth.pk,
                    "seal": auth.seal.name,
                    "code": auth.seal.code,
                }
            )
        try:
            send_message(to, subject, body)
        except Exception:
            log.exception("could not tell %s about revoked auto-sign %s", m.user_id, auth_id)
