"""Sending one-time codes by SMS or e-mail through small, swappable senders.

``send_code(target, code, purpose)`` picks the channel from the target (phone → SMS, address →
e-mail) and the sender from settings:

* ``CHOP_SMS_SENDER``: ``console`` (default) or ``http`` (a JSON-over-HTTP SMS gateway);
* ``CHOP_EMAIL_SENDER``: ``console`` (default) or ``smtp`` (Django's e-mail backend).

Console senders print and append to ``settings.CHOP_OUTBOX`` (see ``chop.accounts.outbox``).
Any delivery failure is raised as ``SendError`` so the caller can refuse to count the code as sent.
"""

from __future__ import annotations

import logging
import smtplib
import sys
from typing import Protocol

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _

from . import outbox
from .targets import PHONE, parse_target

log = logging.getLogger(__name__)


class SendError(Exception):
    """The message could not be handed to the gateway. The text is for logs, not for users."""


class Sender(Protocol):
    channel: str

    def send(self, to: str, subject: str, body: str, *, code: str | None = None) -> None:
        """Deliver or raise ``SendError``. ``code`` is passed separately for template gateways."""


class ConsoleSender:
    """Development sender: prints the message and appends it to the outbox file."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, to: str, subject: str, body: str, *, code: str | None = None) -> None:
        entry = {
            "time": timezone.now().isoformat(),
            "channel": self.channel,
            "to": to,
            "subject": subject,
            "body": body,
            "code": code,
        }
        try:
            outbox.append(entry)
        except OSError as exc:
            raise SendError(f"cannot write outbox {outbox.path()}: {exc}") from exc
        print(f"[chop {self.channel}] to {to}: {subject} | {body}", file=sys.stderr)


class SmtpEmailSender:
    """Production e-mail through Django's configured e-mail backend (``EMAIL_URL``)."""

    channel = "email"

    def send(self, to: str, subject: str, body: str, *, code: str | None = None) -> None:
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
        try:
            sent = message.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP delivery to {to} failed: {exc}") from exc
        if sent != 1:
            raise SendError(f"the e-mail backend did not accept the message to {to}")


class HttpSmsSender:
    """An SMS gateway that takes a JSON POST.

    Body: ``{"to", "text", "code", "sign_name"}``, with ``Authorization: Bearer <token>`` when a
    token is configured. Any 2xx is success; anything else, or no answer within ``timeout``
    seconds, is a ``SendError``. Gateways with another shape get an adapter of their own.
    """

    channel = "sms"

    def __init__(
        self, url: str, token: str = "", *, timeout: float = 5.0, sign_name: str = ""
    ) -> None:
        if not url:
            raise SendError("CHOP_SMS_HTTP_URL is not set")
        self.url, self.token, self.timeout, self.sign_name = url, token, timeout, sign_name

    def send(self, to: str, subject: str, body: str, *, code: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = {"to": to, "text": body, "code": code, "sign_name": self.sign_name}
        try:
            resp = requests.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise SendError(f"SMS gateway did not answer within {self.timeout}s") from exc
        except requests.RequestException as exc:
            raise SendError(f"SMS gateway unreachable: {exc}") from exc
        if not 200 <= resp.status_code < 300:
            raise SendError(f"SMS gateway answered {resp.status_code}: {resp.text[:200]}")


def sms_sender() -> Sender:
    kind = settings.CHOP_SMS_SENDER
    if kind == "http":
        return HttpSmsSender(
            settings.CHOP_SMS_HTTP_URL,
            settings.CHOP_SMS_HTTP_TOKEN,
            timeout=float(settings.CHOP_SMS_HTTP_TIMEOUT),
            sign_name=settings.CHOP_SMS_HTTP_SIGN_NAME,
        )
    if kind == "console":
        return ConsoleSender("sms")
    raise SendError(f"unknown CHOP_SMS_SENDER {kind!r}")


def email_sender() -> Sender:
    kind = settings.CHOP_EMAIL_SENDER
    if kind == "smtp":
        return SmtpEmailSender()
    if kind == "console":
        return ConsoleSender("email")
    raise SendError(f"unknown CHOP_EMAIL_SENDER {kind!r}")


def _texts(code: str, purpose: str) -> tuple[str, str]:
    minutes = max(1, int(settings.CHOP_OTP_TTL_SECONDS) // 60)
    subjects = {
        "register": _("Your Chop registration code"),
        "login": _("Your Chop login code"),
        "reset": _("Your Chop password reset code"),
        "confirm": _("Your Chop confirmation code"),
    }
    subject = subjects.get(purpose, subjects["confirm"])
    body = _(
        "[Chop] Your verification code is %(code)s, valid for %(minutes)s minutes. "
        "Do not share it with anyone."
    ) % {"code": code, "minutes": minutes}
    return subject, body


def sender_for(target: str) -> tuple[Sender, str]:
    """The configured sender for a phone number or e-mail address, and the normalised address."""
    parsed = parse_target(target)
    return (sms_sender() if parsed.kind == PHONE else email_sender()), parsed.value


def send_message(target: str, subject: str, body: str) -> str:
    """Send any short notification (invitations, notices) the same way codes go; return the channel.

    Raises ``SendError`` on failure and ``ValidationError`` for a target that is neither a
    mainland mobile number nor an e-mail address.
    """
    sender, to = sender_for(target)
    sender.send(to, subject, body)
    return sender.channel


def send_code(target: str, code: str, purpose: str) -> str:
    """Send ``code`` to a phone number or e-mail address; return the channel used.

    The text is in the active language (the requester's). Raises ``SendError`` on failure.
    """
    sender, to = sender_for(target)
    subject, body = _texts(code, purpose)
    sender.send(to, subject, body, code=code)
    log.info("sent %s code by %s to %s", purpose, sender.channel, parse_target(to).masked)
    return sender.channel
