"""Asking the providers again for cases a timeout or failure left waiting (the periodic task)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ..models import CompanyVerification, Evidence, PersonVerification
from ..states import State
from .company import ask_registry_provider
from .deposit import send_deposit
from .person import ask_identity_provider

# A provider that failed is asked again after 1, 2, 4, ... minutes, at most once an hour, per case:
# a provider that is down is not hammered, and one that is back is used again soon.
RETRY_FIRST_DELAY = timedelta(minutes=1)
RETRY_MAX_DELAY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed tries before the next one."""
    doublings = min(max(attempts - 1, 0), 20)  # 2**20 minutes is far past the cap already
    return min(RETRY_FIRST_DELAY * 2**doublings, RETRY_MAX_DELAY)


def _retry_due(case, step: str, now) -> bool:
    kind = "person" if isinstance(case, PersonVerification) else "company"
    attempts = Evidence.objects.filter(case_type=kind, case_id=case.pk, step=step).count()
    return case.updated_at + retry_delay(attempts) <= now


def retry_providers(*, force: bool = False) -> int:
    """Ask the providers again for every case a timeout or failure left pending, each once its
    delay (``retry_delay``) has passed, or all of them with ``force``; returns how many."""
    now = timezone.now()
    n = 0
    for case in PersonVerification.objects.filter(state=State.PENDING_PROVIDER):
        if force or _retry_due(case, "identity", now):
            ask_identity_provider(case)
            n += 1
    for case in CompanyVerification.objects.filter(state=State.PENDING_PROVIDER):
        if force or _retry_due(case, "registry", now):
            ask_registry_provider(case)
            n += 1
    unsent = CompanyVerification.objects.filter(
        state=State.PENDING_AUTHORITY,
        method=CompanyVerification.Method.DEPOSIT,
        deposit_encrypted="",
    )
    for case in unsent:
        if force or _retry_due(case, "deposit_sent", now):
            send_deposit(case)
            n += 1
    return n
