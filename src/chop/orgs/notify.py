"""Sending invitations to the phone or e-mail address they are addressed to.

The accounts app owns the senders (console/file in development, an SMS gateway or SMTP in
production) in ``chop.accounts.senders``; invitations go through its ``send_message``, so
development and tests see invitations exactly where they see codes (``settings.CHOP_OUTBOX``).
"""

from __future__ import annotations

import logging

from chop.accounts.senders import SendError
from chop.accounts.senders import send_message as accounts_send

logger = logging.getLogger(__name__)


def send_message(channel: str, to: str, subject: str, body: str) -> bool:
    """Deliver one notification through the accounts senders; ``False`` when delivery failed.

    A failed delivery does not undo the invitation: the inviter is told and can send it again.
    """
    try:
        accounts_send(to, subject, body)
    except SendError:
        logger.exception("could not deliver %s message", channel)
        return False
    return True
