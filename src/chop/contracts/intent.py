"""Intent (意愿认证): the signer proves, every time, that they mean to sign (PRODUCT.md §4).

Two ways, each ending in one ``SigningIntent`` row valid for ``INTENT_TTL``:

- the signing password (签署密码): set once on the account page, Argon2, at least
  ``MIN_LENGTH`` characters and different from the login password; wrong guesses are limited to
  ``MAX_FAILURES`` per ``FAILURE_WINDOW`` per user, counted in the database
  (``chop.accounts.ratelimit``), whether they come from the signing page or from the page that
  changes it;
- a one-time code to the user's own phone or e-mail (``chop.accounts.confirm``). The code's purpose
  is ``confirm``: it proves the person holds that phone or mailbox now, which is all intent asks;
  the code's message already says "confirmation code", and the OTP table's limits (resend
  interval, daily caps, attempts) apply unchanged.

An act consumes exactly one intent with a conditional UPDATE (``consume``), so one confirmation
never signs twice, and the next act needs a new one. Passwords are never logged or recorded.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chop.accounts import confirm, otp, ratelimit
from chop.audit.events import record

from .models import Participant, SigningIntent, SigningPassword

INTENT_TTL = datetime.timedelta(minutes=10)
MIN_LENGTH = 6
MAX_LENGTH = 128
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60  # seconds
CHANNELS = ("sms", "email")
# Always Argon2, whatever PASSWORD_HASHERS lists first: the signing password is the product's
# promise (PRODUCT.md §4), not a site setting.
ARGON2 = Argon2PasswordHasher()


class IntentError(Exception):
    """A refused confirmation; ``message`` is translated, for the signer."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- the signing password -------------------------------------------------------------------


def _failure_key(user) -> str:
    return f"signing-password:{user.pk}"


def has_password(user) -> bool:
    return SigningPassword.objects.filter(user=user).exists()


def _locked_message(retry_after: int) -> str:
    minutes = max(1, (retry_after + 59) // 60)
    return ngettext(
        "Too many wrong signing passwords. Try again in %(minutes)d minute, or confirm with a "
        "code instead.",
        "Too many wrong signing passwords. Try again in %(minutes)d minutes, or confirm with a "
        "code instead.",
        minutes,
    ) % {"minutes": minutes}


def _matches(password: str, encoded: str) -> bool:
    try:
        return ARGON2.verify(password, encoded)
    except (ValueError, TypeError):  # not an Argon2 hash: never matches
        return False


def check_signing_password(user, password: str) -> None:
    """Return quietly if ``password`` is the user's signing password; else raise
    :class:`IntentError`. Every wrong guess counts; past the limit nothing is checked."""
    key = _failure_key(user)
    window = ratelimit.peek(key, limit=MAX_FAILURES, window=FAILURE_WINDOW)
    if not window.allowed:
        raise IntentError(_locked_message(window.retry_after), code="password.locked")
    row = SigningPassword.objects.filter(user=user).first()
    if row is None:
        raise IntentError(
            _("Set a signing password first, or confirm with a code."), code="password.unset"
        )
    if password and _matches(password, row.password):
        return
    hit = ratelimit.hit(key, limit=MAX_FAILURES, window=FAILURE_WINDOW)
    left = max(0, MAX_FAILURES - hit.count)
    if left == 0:
        raise IntentError(_locked_message(hit.retry_after), code="password.locked")
    raise IntentError(
        ngettext(
            "The signing password is wrong. %(left)d attempt left.",
            "The signing password is wrong. %(left)d attempts left.",
            left,
        )
        % {"left": left},
        code="password.wrong",
    )


def _check_new(user, new: str) -> None:
    if len(new or "") < MIN_LENGTH:
        raise IntentError(
            ngettext(
                "The signing password needs at least %(n)d character.",
                "The signing password needs at least %(n)d characters.",
                MIN_LENGTH,
            )
            % {"n": MIN_LENGTH},
            code="password.short",
        )
    if len(new) > MAX_LENGTH:
        raise IntentError(_("The signing password is too long."), code="password.long")
    if user.has_usable_password() and user.check_password(new):
        raise IntentError(
            _("Choose a signing password different from your login password."),
            code="password.same_as_login",
        )


def _store(user, new: str, *, request=None, reset: bool = False) -> None:
    changed = SigningPassword.objects.filter(user=user).exists()
    SigningPassword.objects.update_or_create(
        user=user,
        defaults={"password": make_password(new, hasher=ARGON2), "updated_at": timezone.now()},
    )
    ratelimit.clear(_failure_key(user))
    record(
        "account.signing_password_changed" if changed else "account.signing_password_set",
        request=request,
        actor=user,
        company=None,
        obj=user,
        **({"by_code": True} if reset else {}),
    )


def set_signing_password(user, new: str, *, old: str | None = None, request=None) -> None:
    """Set or change the user's signing password. Changing one asks for the old one (checked
    and counted like any guess). Raises :class:`IntentError` with what is wrong."""
    if has_password(user):
        check_signing_password(user, old or "")
    _check_new(user, new)
    _store(user, new, request=request)


def send_reset_code(user, channel: str, *, request=None) -> otp.Issued:
    """A one-time code to the user's own phone or e-mail, for setting a new signing password
    without the old one (forgotten)."""
    return _issue_code(user, channel, request=request)


def reset_signing_password(user, channel: str, code: str, new: str, *, request=None) -> None:
    """Set a new signing password after proving, by a code, that the account's phone or
    mailbox is at hand: the same proof the code confirmation of an act asks for."""
    _check_new(user, new)
    _verify_code(user, channel, code)
    _store(user, new, request=request, reset=True)


# --- confirmations --------------------------------------------------------------------------


def _check_party(participant: Participant, user) -> Participant:
    from .access import parties_for

    fresh = Participant.objects.select_related("contract", "company").get(pk=participant.pk)
    if fresh.pk not in {p.pk for p in parties_for(user, fresh.contract, state="to_sign")}:
        raise IntentError(_("It is not your turn to sign for this party."), code="not_your_turn")
    return fresh


def _create(participant: Participant, user, method: str, ip: str | None) -> SigningIntent:
    now = timezone.now()
    intent = SigningIntent.objects.create(
        participant=participant,
        user=user,
        method=method,
        confirmed_at=now,
        expires_at=now + INTENT_TTL,
        ip=ip or None,
    )
    record(
        "contract.intent_confirmed",
        actor=user,
        # whose records show it: the party's company, as for the act itself
        company=participant.company if participant.company_id else participant.contract.company,
        obj=participant.contract,
        participant=participant.pk,
        method=method,
    )
    return intent


def confirm_by_password(participant: Participant, user, password: str, ip=None) -> SigningIntent:
    party = _check_party(participant, user)
    check_signing_password(user, password)
    return _create(party, user, SigningIntent.Method.PASSWORD, ip)


def code_target(user, channel: str) -> str | None:
    """The user's own phone (``sms``) or e-mail (``email``) address, if they have one."""
    return confirm.code_target(user, channel)


def _issue_code(user, channel: str, *, request=None) -> otp.Issued:
    """A ``confirm`` code to the user's own phone or e-mail (``chop.accounts.confirm``)."""
    try:
        return confirm.send_code(user, channel, request=request)
    except confirm.ConfirmError as exc:
        raise IntentError(exc.message, code=exc.code) from None


def _verify_code(user, channel: str, code: str) -> None:
    """Raise :class:`IntentError` unless ``code`` is the code sent to that address."""
    try:
        confirm.verify_code(user, channel, code)
    except confirm.ConfirmError as exc:
        raise IntentError(exc.message, code=exc.code) from None


def send_code(participant: Participant, user, channel: str, *, request=None) -> otp.Issued:
    """Send a one-time code to the user's own phone or e-mail for confirming this act."""
    _check_party(participant, user)
    return _issue_code(user, channel, request=request)


def confirm_by_code(
    participant: Participant, user, channel: str, code: str, ip=None
) -> SigningIntent:
    party = _check_party(participant, user)
    _verify_code(user, channel, code)
    method = SigningIntent.Method.SMS if channel == "sms" else SigningIntent.Method.EMAIL
    return _create(party, user, method, ip)


def current(participant: Participant, user) -> SigningIntent | None:
    """The newest unused, unexpired confirmation of ``user`` for ``participant``."""
    return (
        SigningIntent.objects.filter(
            participant=participant,
            user=user,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-confirmed_at", "-pk")
        .first()
    )


def consume(intent: SigningIntent, participant: Participant, user, *, now=None) -> bool:
    """Mark ``intent`` used if it is still good for this party and user: one conditional
    UPDATE, so of two acts racing for one confirmation exactly one gets it."""
    now = now or timezone.now()
    return bool(
        SigningIntent.objects.filter(
            pk=intent.pk,
            participant_id=participant.pk,
            user_id=user.pk,
            used_at__isnull=True,
            expires_at__gt=now,
        ).update(used_at=now)
    )
