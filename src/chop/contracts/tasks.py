"""Background work for contracts (django-tasks): page previews, notices to the parties.

A version's previews are rendered by ``render_previews`` after the transaction that stored the
version commits, so the upload request returns as soon as the file is safe; the contract page
polls the version's progress. The task takes an id and re-reads the row: a task that runs late
finds the version as it is, and one that runs twice skips the pages already stored.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction
from django_tasks import task

from . import previews
from .models import DocumentVersion

log = logging.getLogger(__name__)


@task()
def render_previews(version_id: int) -> int:
    version = DocumentVersion.objects.filter(pk=version_id).first()
    if version is None:
        return 0
    return previews.render_version(version)


def enqueue_previews(version: DocumentVersion) -> None:
    """Queue the version's previews for when the current transaction commits."""
    transaction.on_commit(partial(_enqueue, version.pk), robust=True)


def _enqueue(version_id: int) -> None:
    try:
        render_previews.enqueue(version_id)
    except Exception:
        # The version is stored and downloadable; only its previews wait (the page says
        # "preparing"). Running the task again for the id renders them.
        log.exception("could not enqueue the previews of version %s", version_id)


@task()
def send_notice(address: str, subject: str, body: str) -> None:
    """Send one contract notice (``notify``), rendered when its step committed."""
    from . import notify

    notify._deliver(address, subject, body)


@task()
def expire_due_contracts() -> int:
    """Expire contracts past their deadline (``sending.expire_due``); enqueued by
    ``chop expire_contracts``."""
    from . import sending

    return sending.expire_due()


@task()
def send_contract_reminders() -> int:
    """Remind parties whose turn it is, every 3 days (``sending.send_due_reminders``)."""
    from . import sending

    return sending.send_due_reminders()
