"""Background work for authorisations (django-tasks): the auto-sign authorisation letter.

``make_autosign_letter`` runs after the transaction that created the authorisation commits (or
after the owner asks to retry). It takes an id and re-reads the row, so a late or repeated run
finds the authorisation as it is: signed already, or revoked, means nothing to do. A failure is
recorded (``autosign.letter_failed``, which the seal's auto-sign page shows) and leaves the
authorisation "preparing", retryable by the owner.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction
from django_tasks import task

log = logging.getLogger(__name__)


@task()
def make_autosign_letter(auth_id: int) -> bool:
    from chop.audit.events import record

    from . import letter
    from .models import AutoSignAuthorisation

    try:
        return letter.make(auth_id)
    except Exception as exc:
        log.exception("the letter of auto-sign authorisation %s failed", auth_id)
        auth = AutoSignAuthorisation.objects.filter(pk=auth_id).select_related("company").first()
        if auth is not None:
            record(
                "autosign.letter_failed",
                actor=None,
                company=auth.company,
                obj=auth,
                error=getattr(exc, "code", type(exc).__name__),
            )
        return False


def enqueue_letter(auth_id: int) -> None:
    """Queue the letter for when the current transaction commits."""
    transaction.on_commit(partial(_enqueue, auth_id), robust=True)


def _enqueue(auth_id: int) -> None:
    try:
        make_autosign_letter.enqueue(auth_id)
    except Exception:
        # The authorisation is stored and stays "preparing"; the page offers to retry.
        log.exception("could not enqueue the letter of auto-sign authorisation %s", auth_id)
