"""Every new stamping record goes into the log once its act commits.

The contracts app writes the record (it sits below this app and cannot call it), so this
receiver watches the record's creation and queues the append for after the commit: a rolled-back
act leaves nothing to append, and the act's transaction never waits for the log's lock.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from chop.contracts.models import StampRecord

from .log_tasks import enqueue_append


@receiver(post_save, sender=StampRecord, dispatch_uid="chop.evidence.append_to_log")
def append_after_commit(sender, instance: StampRecord, created: bool, raw: bool = False, **kw):
    if created and not raw:
        transaction.on_commit(enqueue_append, robust=True)
