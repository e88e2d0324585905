"""Sending invitations to the phone or e-mail address they are addressed to.

The accounts app owns the real senders (console/file in development, an SMS gateway or SMTP in
production) in ``chop.accounts.senders``; invitations go through its ``send_message``. Should that
module be missing, the message is appended to ``settings.CHOP_OUTBOX`` in the console senders'
JSON-line format, so development and tests see invitations exactly where they see codes.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def _append_outbox(channel: str, to: str, subject: str, body: str) -> None:
    path = Path(settings.CHOP_OUTBOX)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = {
        "time": timezone.now().isoformat(),
        "channel": channel,
        "to": to,
        "subject": subject,
        "body": body,
    }
    # 0600 like chop.accounts.outbox: the outbox is private to the platform's user.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")
    logger.info("[%s → %s] %s", channel, to, subject)


def send_message(channel: str, to: str, subject: str, body: str) -> bool:
    """Deliver one notification through the accounts senders; ``False`` when delivery failed.

    A failed delivery does not undo the invitation: the inviter is told and can send it again.
    """
    try:
        from chop.accounts.senders import SendError
        from chop.accounts.senders import send_message as accounts_send
    except ImportError:  # accounts senders not installed yet: write the outbox line ourselves
        _append_outbox(channel, to, subject, body)
        return True
    try:
        accounts_send(to, subject, body)
    except SendError:
        logger.exception("could not deliver %s message", channel)
        return False
    return True
