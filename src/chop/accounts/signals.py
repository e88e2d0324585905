"""Login outcomes feed ``chop.accounts.lockout``, whichever login form they came from (ours or
Django's admin), so one set of rules applies everywhere."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from chop.audit.events import client_ip, record

from . import lockout


@receiver(user_login_failed, dispatch_uid="chop.accounts.lockout.failed")
def _count_failure(sender, credentials, request=None, **kwargs) -> None:
    if request is None or getattr(request, "chop_lock", None) is not None:
        return  # refused by a lock before any password was checked: not a failure
    ident = credentials.get("login") or credentials.get("username") or ""
    if not ident:
        return
    request.chop_new_lock = lockout.failed(ident, client_ip(request), lockout.PASSWORD)


@receiver(user_logged_in, dispatch_uid="chop.accounts.lockout.succeeded")
def _clear_on_success(sender, request, user, **kwargs) -> None:
    lockout.succeeded(user, client_ip(request))


@receiver(user_logged_out, dispatch_uid="chop.accounts.audit_logout")
def _audit_logout(sender, request, user, **kwargs) -> None:
    """Logouts (site and admin) are part of the account's record, not of any company's."""
    if user is not None:
        record("account.logout", request=request, actor=user, company=None)
