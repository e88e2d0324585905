"""A task for the worker tests, shaped like the real ones: it re-reads its job, claims the effect
with a conditional UPDATE and writes the effect in the same transaction, then lingers (where the
test kills its worker). Its job and effect are rows of auth's Group table, which every database
has: ``job:<key>`` becomes ``done:<key>`` once, and each effect is a row ``effect:<key>:<n>``."""

from __future__ import annotations

import time

from django.contrib.auth.models import Group
from django.db import transaction
from django_tasks import task


@task()
def effect_once(key: str, linger: float) -> bool:
    with transaction.atomic():
        won = Group.objects.filter(name=f"job:{key}").update(name=f"done:{key}")
        if won:
            n = Group.objects.filter(name__startswith=f"effect:{key}:").count()
            Group.objects.create(name=f"effect:{key}:{n + 1}")
    time.sleep(linger)  # the rest of the task's work, after its effect committed
    return bool(won)
