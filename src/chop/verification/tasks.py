"""Background tasks (django-tasks): calls to the identity, registry and payment providers.

A provider can take seconds to answer or time out, so no request waits for one and no database
lock is held across one. The services enqueue these tasks when their transaction commits
(``services.steps.enqueue_on_commit``), and the request returns at once with the case pending;
the worker (``db_worker``, started by ``run_platform``) runs them. Each task takes a case id and
re-reads the case, so a task that runs late or twice finds the case already moved and does
nothing.

``retry_pending_providers`` asks again for cases a timeout or failure left waiting, with a
growing delay per case (``services.retry_providers``). django-tasks has no scheduler: the
``retry_providers --every N`` command enqueues it every N seconds (``run_platform`` starts it
beside the worker).
"""

from __future__ import annotations

from django_tasks import task

from . import services
from .models import CompanyVerification, PersonVerification


@task()
def ask_identity_provider(case_id: int) -> str | None:
    case = PersonVerification.objects.filter(pk=case_id).first()
    if case is None:
        return None
    return services.ask_identity_provider(case).state


@task()
def ask_registry_provider(case_id: int) -> str | None:
    case = CompanyVerification.objects.filter(pk=case_id).first()
    if case is None:
        return None
    return services.ask_registry_provider(case).state


@task()
def send_deposit(case_id: int) -> str | None:
    case = CompanyVerification.objects.filter(pk=case_id).first()
    if case is None:
        return None
    return services.send_deposit(case).state


@task()
def retry_pending_providers() -> int:
    return services.retry_providers()
