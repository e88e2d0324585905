"""How a step of a case runs: in one transaction, with its side effects after the commit.

Every flow (person, company, deposit) moves its cases through these, so a failure leaves a case
where it was, never half-moved, and nobody is told of a decision that rolled back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.db import IntegrityError, models, transaction

from .. import providers
from ..models import CompanyVerification, PersonVerification
from ..states import State
from .evidence import record_evidence

log = logging.getLogger(__name__)

Case = TypeVar("Case", PersonVerification, CompanyVerification)


@contextlib.contextmanager
def decision_transaction():
    """The transaction of a decision that may issue certificates and send messages.

    Certificates issued inside are stored in it by the CA (``chop.pkistate``), so they commit
    with the decision or not at all; messages and tasks wait for the commit
    (``transaction.on_commit``), so a decision that rolls back has told nobody.
    """
    with transaction.atomic():
        yield


def enqueue_on_commit(task, *args) -> None:
    """Enqueue a task (``verification.tasks``) once the current transaction commits.

    A task that could not be enqueued is not lost: the periodic retry finds the case still
    waiting for its provider.
    """
    transaction.on_commit(partial(_enqueue, task, *args), robust=True)


def _enqueue(task, *args) -> None:
    try:
        task.enqueue(*args)
    except Exception:
        log.exception("could not enqueue %s%r; the periodic retry will pick it up", task, args)


def save_or_drop_uploads(case: PersonVerification | CompanyVerification) -> None:
    """Save; if the INSERT fails, delete the uploads it had already written to storage."""
    try:
        case.save()
    except IntegrityError:
        for field in case._meta.get_fields():
            f = getattr(case, field.name, None) if isinstance(field, models.FileField) else None
            if f:
                f.delete(save=False)
        raise


def take_provider_answer(
    case: Case,
    answer: providers.ProviderAnswer,
    *,
    step: str,
    inputs: Callable[[Case], dict],
    decide: Callable[[Case, providers.ProviderAnswer], None],
) -> Case:
    """Record a provider's answer on a case that still waits for it, and move the case.

    The provider was asked with no transaction open (it can take seconds); here the case is
    locked and re-read, so an answer that comes late or twice finds the case already moved and
    changes nothing. The answer is kept as evidence with ``inputs(case)``. ``decide`` moves the
    case on a yes, a no or a "needs review"; a timeout or failure leaves the case pending with
    the reason, to be retried: it is never taken as a yes.
    """
    with decision_transaction():
        case = type(case).objects.select_for_update().get(pk=case.pk)
        if case.state != State.PENDING_PROVIDER:
            return case
        case.provider = answer.provider
        record_evidence(
            case,
            step=step,
            method="provider",
            provider=answer.provider,
            result=answer.status,
            detail=answer.detail,
            inputs=inputs(case),
        )
        if answer.status in (providers.VERIFIED, providers.NEEDS_REVIEW, providers.REFUSED):
            decide(case, answer)
        else:
            case.last_error = answer.detail[:400]
            case.advance(State.PENDING_PROVIDER)
    return case
