"""Failed-login throttling that a stranger cannot turn against somebody else.

Three counters, each answering a different attack (numbers are settings, defaults here):

- per (account, client address): after ``CHOP_LOGIN_FREE_FAILURES`` (5) failures in a row, each
  further attempt waits ``CHOP_LOGIN_DELAY_SECONDS`` (60), doubling with every failure after
  that up to ``CHOP_LOGIN_DELAY_MAX_SECONDS`` (3600). Guessing one account from one address. It
  blocks password *and* code login for that pair only: the owner elsewhere is never affected.
  A success clears it; failures older than a day are forgotten.
- per account across all addresses: ``CHOP_LOGIN_FAILURES_PER_ACCOUNT_PER_DAY`` (50). Guessing
  one account from many addresses. Blocks only *password* login for the rest of the UTC day;
  code login and password reset still work, because they prove control of the phone or address.
- per client address across accounts: ``CHOP_LOGIN_FAILURES_PER_IP_PER_HOUR`` (100). Password
  spraying. Blocks that address for accounts that have never logged in from it, so colleagues
  behind the same NAT who have logged in there before keep working.

An attempt refused by a lock is answered without checking the password and is never counted,
so a correct password cannot become a failure, and a locked-out guesser gains nothing by
hammering. Locked refusals look the same whether or not the account exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from . import ratelimit
from .models import KnownAddress, LoginFailures, User, UserManager

PASSWORD = "password"
CODE = "code"

# Scopes of a lock, in the order they are checked.
PAIR = "pair"
ACCOUNT = "account"
IP = "ip"

DAY = 86400
HOUR = 3600


@dataclass(frozen=True)
class Lock:
    """Why an attempt is refused, and until when."""

    scope: str
    until: datetime

    @property
    def seconds(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    @property
    def message(self) -> str:
        if self.scope == ACCOUNT:
            return gettext(
                "Too many failed password attempts on this account today. Log in with a "
                "one-time code instead, or reset your password."
            )
        minutes = max(1, math.ceil(self.seconds / 60))
        return ngettext(
            "Too many failed attempts. Login is locked for now: try again in %(minutes)s minute "
            "(after %(time)s), or reset your password.",
            "Too many failed attempts. Login is locked for now: try again in %(minutes)s minutes "
            "(after %(time)s), or reset your password.",
            minutes,
        ) % {"minutes": minutes, "time": timezone.localtime(self.until).strftime("%H:%M")}


def find_user(ident: str) -> User | None:
    ident = UserManager.normalize_login(ident)
    if not ident:
        return None
    return User.objects.filter(Q(login=ident) | Q(phone=ident) | Q(email__iexact=ident)).first()


def account_key(ident: str) -> str:
    """One key per account whichever spelling was typed (phone, e-mail, login)."""
    user = find_user(ident)
    return user.login if user is not None else UserManager.normalize_login(ident)


def delay_after(failures: int) -> int:
    """Seconds the pair waits after its ``failures``-th failure in a row (0: not locked)."""
    free = settings.CHOP_LOGIN_FREE_FAILURES
    if failures < free:
        return 0
    base = settings.CHOP_LOGIN_DELAY_SECONDS
    cap = settings.CHOP_LOGIN_DELAY_MAX_SECONDS
    return min(cap, base * 2 ** min(failures - free, 32))


def _account_counter(account: str) -> str:
    return f"login-fail:account:{account}"


def _ip_counter(ip: str) -> str:
    return f"login-fail:ip:{ip}"


def is_known(user: User | None, ip: str | None) -> bool:
    return bool(user and ip and KnownAddress.objects.filter(user=user, ip=ip).exists())


def check(ident: str, ip: str | None, method: str = PASSWORD) -> Lock | None:
    """The lock that refuses this attempt now, or None. Counts nothing."""
    now = timezone.now()
    user = find_user(ident)
    account = user.login if user is not None else UserManager.normalize_login(ident)
    pair = LoginFailures.objects.filter(account=account, ip=ip or "").first()
    if pair is not None and pair.locked_until is not None and pair.locked_until > now:
        return Lock(PAIR, pair.locked_until)
    if method == PASSWORD:
        w = ratelimit.peek(
            _account_counter(account),
            limit=settings.CHOP_LOGIN_FAILURES_PER_ACCOUNT_PER_DAY,
            window=DAY,
            now=now,
        )
        if not w.allowed:
            return Lock(ACCOUNT, w.reset_at)
    if ip:
        w = ratelimit.peek(
            _ip_counter(ip),
            limit=settings.CHOP_LOGIN_FAILURES_PER_IP_PER_HOUR,
            window=HOUR,
            now=now,
        )
        if not w.allowed and not is_known(user, ip):
            return Lock(IP, w.reset_at)
    return None


def failed(ident: str, ip: str | None, method: str = PASSWORD) -> Lock | None:
    """Count one failure (a wrong password or code that was actually checked).

    Returns the pair lock this failure starts, if any, so the caller can say so at once.
    """
    now = timezone.now()
    account = account_key(ident)
    key = {"account": account, "ip": ip or ""}
    pair = LoginFailures.objects.filter(**key)

    def count_one() -> int:
        # A streak older than a day is forgotten rather than extended.
        return pair.update(
            failures=Case(
                When(last_failure_at__lt=now - timedelta(days=1), then=Value(1)),
                default=F("failures") + 1,
            ),
            last_failure_at=now,
        )

    with transaction.atomic():
        # Write first (see ratelimit.hit): concurrent failures queue up instead of failing.
        if not count_one():
            try:
                with transaction.atomic():
                    LoginFailures.objects.create(**key, failures=1, last_failure_at=now)
            except IntegrityError:  # a concurrent failure created it first
                count_one()
        failures = pair.values_list("failures", flat=True).get()
        delay = delay_after(failures)
        until = now + timedelta(seconds=delay) if delay else None
        pair.update(locked_until=until)
    if method == PASSWORD:
        ratelimit.hit(
            _account_counter(account),
            limit=settings.CHOP_LOGIN_FAILURES_PER_ACCOUNT_PER_DAY,
            window=DAY,
            now=now,
        )
    if ip:
        ratelimit.hit(
            _ip_counter(ip),
            limit=settings.CHOP_LOGIN_FAILURES_PER_IP_PER_HOUR,
            window=HOUR,
            now=now,
        )
    return Lock(PAIR, until) if until else None


def succeeded(user: User, ip: str | None) -> None:
    """A login went through: clear this pair's streak and remember the address."""
    now = timezone.now()
    LoginFailures.objects.filter(account=user.login, ip=ip or "").delete()
    if ip:
        updated = KnownAddress.objects.filter(user=user, ip=ip).update(last_login_at=now)
        if not updated:
            try:
                with transaction.atomic():
                    KnownAddress.objects.create(user=user, ip=ip, last_login_at=now)
            except IntegrityError:  # a concurrent login recorded it
                pass


def clear_account(user: User) -> None:
    """Control of the phone/address was proven (password reset): lift every lock on the account."""
    LoginFailures.objects.filter(account=user.login).delete()
    ratelimit.clear(_account_counter(user.login))
