"""Confirming an action with a one-time code sent to the user's own phone or mailbox.

The signing page confirms intent this way (``chop.contracts.intent``), and the owner confirms an
auto-sign authorisation this way (``chop.grants.autosign``). The code's purpose is ``confirm``:
it proves the person holds that phone or mailbox now. The OTP table's limits (resend interval,
daily caps, attempts) apply unchanged; only the user's own addresses are ever used.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from . import otp

CHANNELS = ("sms", "email")


class ConfirmError(Exception):
    """No code could be sent or the code is wrong; ``message`` is translated, ``code`` is
    ``code.no_target``, ``code.not_sent`` or ``code.wrong``."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def code_target(user, channel: str) -> str | None:
    """The user's own phone (``sms``) or e-mail (``email``) address, if they have one."""
    if channel == "sms":
        return user.phone or None
    if channel == "email":
        return user.email or None
    return None


def channels(user) -> list[str]:
    """The channels the user can receive a code on."""
    return [c for c in CHANNELS if code_target(user, c)]


def _target_or_error(user, channel: str) -> str:
    target = code_target(user, channel)
    if target is None:
        raise ConfirmError(
            _("Your account has no mobile number.")
            if channel == "sms"
            else _("Your account has no e-mail address."),
            code="code.no_target",
        )
    return target


def send_code(user, channel: str, *, request=None) -> otp.Issued:
    """A ``confirm`` code to the user's own phone or e-mail."""
    target = _target_or_error(user, channel)
    try:
        return otp.issue_code(target, otp.Purpose.CONFIRM, request=request)
    except otp.OtpError as exc:
        raise ConfirmError(str(exc), code="code.not_sent") from None


def verify_code(user, channel: str, code: str) -> None:
    """Return quietly if ``code`` is the code sent to that address (consuming it); else raise
    :class:`ConfirmError`."""
    target = _target_or_error(user, channel)
    try:
        otp.verify_code(target, otp.Purpose.CONFIRM, code)
    except otp.OtpError as exc:
        raise ConfirmError(str(exc), code="code.wrong") from None
