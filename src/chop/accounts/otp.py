"""One-time codes: issue, send, verify.

Policy (settings, with these defaults): 6 digits from ``secrets``; valid
``CHOP_OTP_TTL_SECONDS`` (300); ``CHOP_OTP_MAX_ATTEMPTS`` (5) wrong tries per code; no resend
to the same target for the same purpose within ``CHOP_OTP_RESEND_SECONDS`` (60); per local
calendar day at most ``CHOP_OTP_DAILY_CAP_PER_IP`` (30) codes requested from one client address,
``CHOP_OTP_DAILY_CAP_PER_TARGET_IP`` (5) codes to one target requested from one address, and
``CHOP_OTP_DAILY_CAP_PER_TARGET`` (20) codes to one target from all addresses together.

The two per-target caps do not apply to the target's owner: a request from the account's own
session, or from an address the account has logged in from (``KnownAddress``). So a stranger
can send a number at most 5 codes a day from one address and 20 from many (SMS-bombing stays
bounded), but cannot use up the owner's way back in (see the accounts README).

Codes are stored as HMAC-SHA256 under a key derived from SECRET_KEY (``salted_hmac``) with a
per-row salt: a leaked table alone does not let anyone brute-force the 10⁶ possibilities offline.

Only the newest code for a (target, purpose) is valid: asking again replaces the previous one.
Every failure is an ``OtpError`` whose ``str()`` is a translated message meant for the user.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, ngettext

from chop.audit.events import client_ip, record

from . import lockout
from .models import OneTimeCode
from .senders import SendError, send_code
from .targets import EMAIL, Target, parse_target

log = logging.getLogger(__name__)

Purpose = OneTimeCode.Purpose
CODE_LENGTH = 6


# --- errors -------------------------------------------------------------------------------------


class OtpError(Exception):
    """Base of every refusal. ``str(error)`` is the message to show, in the active language."""

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:  # pragma: no cover - every subclass overrides
        return gettext("The code could not be used.")


class InvalidTarget(OtpError):
    def __init__(self, error: ValidationError) -> None:
        super().__init__(error.messages[0])
        self.error = error

    @property
    def message(self) -> str:
        return str(self.error.messages[0])


class TooSoon(OtpError):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    @property
    def message(self) -> str:
        return ngettext(
            "Please wait %(seconds)s second before requesting another code.",
            "Please wait %(seconds)s seconds before requesting another code.",
            self.seconds,
        ) % {"seconds": self.seconds}


class DailyCapReached(OtpError):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope  # "target_ip", "target" or "ip"

    @property
    def message(self) -> str:
        return gettext("Too many codes have been requested today. Please try again tomorrow.")


class CodeExpired(OtpError):
    @property
    def message(self) -> str:
        return gettext("The code has expired or is no longer valid. Please request a new one.")


class WrongCode(OtpError):
    def __init__(self, attempts_left: int) -> None:
        super().__init__(attempts_left)
        self.attempts_left = attempts_left

    @property
    def message(self) -> str:
        return ngettext(
            "The code is incorrect. %(left)s attempt left.",
            "The code is incorrect. %(left)s attempts left.",
            self.attempts_left,
        ) % {"left": self.attempts_left}


class TooManyAttempts(OtpError):
    @property
    def message(self) -> str:
        return gettext("Too many incorrect attempts. Please request a new code.")


class DeliveryFailed(OtpError):
    @property
    def message(self) -> str:
        return gettext("We could not send the code. Please try again.")


# --- service ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """What the caller may tell the user about a code it asked for (never the code itself)."""

    target: str
    purpose: str
    channel: str  # "sms" or "email"
    masked: str
    expires_at: datetime
    resend_at: datetime

    @property
    def resend_in(self) -> int:
        return max(0, math.ceil((self.resend_at - timezone.now()).total_seconds()))


def hash_code(code: str, salt: str, target: str, purpose: str) -> str:
    """Binding target and purpose into the MAC keeps a code for one thing useless for another."""
    return salted_hmac(
        "chop.accounts.otp", f"{salt}|{target}|{purpose}|{code}", algorithm="sha256"
    ).hexdigest()


def _target(raw: str | Target) -> Target:
    if isinstance(raw, Target):
        return raw
    try:
        return parse_target(raw)
    except ValidationError as exc:
        raise InvalidTarget(exc) from None


def _day_start(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def is_owner(target: Target, request) -> bool:
    """The request comes from the target's own account: its session, or an address it has
    logged in from before."""
    user = getattr(request, "user", None) if request is not None else None
    if (
        user is not None
        and user.is_authenticated
        and target.value in (user.login, user.phone, (user.email or "").lower())
    ):
        return True
    return lockout.is_known(lockout.find_user(target.value), client_ip(request))


def _check_limits(
    target: Target, purpose: str, ip: str | None, now: datetime, *, owner: bool = False
) -> None:
    # The resend interval is per purpose: a "confirm" code right after registering is not a
    # resend. Bombing a number through several purposes is bounded by the daily cap per target.
    resend = timedelta(seconds=settings.CHOP_OTP_RESEND_SECONDS)
    last = (
        OneTimeCode.objects.filter(target=target.value, purpose=purpose)
        .order_by("-created_at")
        .first()
    )
    if last is not None and now < last.created_at + resend:
        raise TooSoon(math.ceil((last.created_at + resend - now).total_seconds()))
    day = _day_start(now)
    sent_today = OneTimeCode.objects.filter(created_at__gte=day, created_at__lte=now)
    if not owner:
        to_target = sent_today.filter(target=target.value)
        if to_target.filter(ip=ip).count() >= settings.CHOP_OTP_DAILY_CAP_PER_TARGET_IP:
            raise DailyCapReached("target_ip")
        if to_target.count() >= settings.CHOP_OTP_DAILY_CAP_PER_TARGET:
            raise DailyCapReached("target")
    if ip and sent_today.filter(ip=ip).count() >= settings.CHOP_OTP_DAILY_CAP_PER_IP:
        raise DailyCapReached("ip")


def issue_code(
    target: str | Target,
    purpose: str,
    *,
    request=None,
    deliver: bool = True,
    now: datetime | None = None,
) -> Issued:
    """Create a code for ``target`` and send it, or raise an ``OtpError``.

    ``deliver=False`` makes a decoy: limits are checked and counted exactly as for a real code, but
    nothing is sent and the row can never verify. Views use it when no account exists, so that
    "send me a login/reset code" behaves the same whether or not the number is registered.

    If sending fails the row is not written, so a failed attempt does not count towards the
    resend interval or the daily caps.
    """
    if purpose not in Purpose.values:
        raise ValueError(f"unknown one-time-code purpose {purpose!r}")
    t = _target(target)
    now = now or timezone.now()
    ip = client_ip(request)
    _check_limits(t, purpose, ip, now, owner=is_owner(t, request))

    code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    salt = secrets.token_hex(8)
    channel = "email" if t.kind == EMAIL else "sms"
    if deliver:
        try:
            channel = send_code(t.value, code, purpose)
        except SendError as exc:
            log.warning("could not send %s code to %s: %s", purpose, t.masked, exc)
            raise DeliveryFailed() from exc
    row = OneTimeCode.objects.create(
        target=t.value,
        purpose=purpose,
        salt=salt,
        code_hash=hash_code(code, salt, t.value, purpose),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.CHOP_OTP_TTL_SECONDS),
        ip=ip,
        delivered=deliver,
    )
    if deliver:
        record(
            "otp.sent",
            request=request,
            company=None,
            obj=row,
            purpose=purpose,
            channel=channel,
            to=t.masked,
        )
    return Issued(
        target=t.value,
        purpose=purpose,
        channel=channel,
        masked=t.masked,
        expires_at=row.expires_at,
        resend_at=now + timedelta(seconds=settings.CHOP_OTP_RESEND_SECONDS),
    )


def verify_code(
    target: str | Target, purpose: str, code: str, *, now: datetime | None = None
) -> None:
    """Return quietly if ``code`` is the current valid code, consuming it; else raise.

    Each wrong guess counts against the code's attempts; after the last one the code is dead.
    """
    t = _target(target)
    now = now or timezone.now()
    max_attempts = settings.CHOP_OTP_MAX_ATTEMPTS
    row = (
        OneTimeCode.objects.filter(target=t.value, purpose=purpose, created_at__lte=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None or row.used_at is not None or now >= row.expires_at:
        raise CodeExpired()
    if row.attempts >= max_attempts:
        raise TooManyAttempts()

    given = "".join((code or "").split())
    expected = hash_code(given, row.salt, t.value, purpose)
    if row.delivered and hmac.compare_digest(expected, row.code_hash):
        consumed = OneTimeCode.objects.filter(
            pk=row.pk, used_at__isnull=True, attempts__lt=max_attempts
        ).update(used_at=now)
        if not consumed:  # a concurrent request used it, or burnt the last attempt, first
            raise CodeExpired()
        return

    OneTimeCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    attempts = OneTimeCode.objects.values_list("attempts", flat=True).get(pk=row.pk)
    left = max_attempts - attempts
    if left <= 0:
        raise TooManyAttempts()
    raise WrongCode(left)
