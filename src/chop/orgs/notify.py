"""Sending invitations to the phone or e-mail address they are addressed to.

The accounts app owns the senders (console/file in development, an SMS gateway or SMTP in
production) in ``chop.accounts.senders``; invitations go through its ``send_message``, so
development and tests see invitations exactly where they see codes (``settings.CHOP_OUTBOX``).
"""

from __future__ import annotations

import logging

from chop.accounts import senders

logger = logging.getLogger(__name__)


def send_message(channel: str, to: str, subject: str, body: str) -> bool:
    """Deliver one notification through the accounts senders; ``False`` when delivery failed.

    A failed delivery does not undo the invitation: the inviter is told and can send it again.
    The sender is looked up on the module at each call (not bound at import), so the configured
    sender is the one used, whenever this module happened to be imported.
    """
    try:
        senders.send_message(to, subject, body)
    except senders.SendError:
        logger.exception("could not deliver %s message", channel)
        return False
    return True
