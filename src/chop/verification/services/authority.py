"""Proof of the right to act for a company, once its registry check has passed.

Three methods: the applicant is the legal representative (their own verified name and ID number
must match those in the application), a signed authorisation letter (the operator reads it), or a
bank micro-deposit (``deposit``, sent by a task after the commit).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import CompanyVerification
from ..states import State
from .approval import approve_company, reject_company
from .errors import ApprovalBlocked
from .evidence import record_evidence
from .person import approved_person_case
from .steps import enqueue_on_commit


def enter_authority(case: CompanyVerification, *, operator) -> None:
    """Registry passed: now the applicant proves the right to act for the company."""
    if case.method == CompanyVerification.Method.LEGAL_REP:
        case.advance(State.PENDING_AUTHORITY)
        try_legal_rep_authority(case, operator=operator)
    elif case.method == CompanyVerification.Method.DEPOSIT:
        # The payment provider is called by a task after this commits, not under this lock.
        case.advance(State.PENDING_AUTHORITY)
        from .. import tasks

        enqueue_on_commit(tasks.send_deposit, case.pk)
    else:
        case.advance(State.PENDING_REVIEW)


def try_legal_rep_authority(case: CompanyVerification, *, operator) -> None:
    person = approved_person_case(case.applicant)
    if person is None:
        return  # waits for the applicant's own verification
    matches = person.id_number_hash == case.legal_rep_id_hash and person.name == case.legal_rep_name
    record_evidence(
        case,
        step="authority",
        method="legal_rep",
        provider="platform",
        result="matched" if matches else "mismatch",
        detail=f"person verification #{person.pk}",
        operator=operator,
        inputs={"person_case": person.pk, "id_number": person.id_number_hash},
    )
    if matches:
        try:
            with transaction.atomic():  # a savepoint: the person's own approval stands regardless
                approve_company(case, by=operator)
        except ApprovalBlocked as exc:
            case.refresh_from_db()
            case.last_error = str(exc)[:400]
            case.save(update_fields=["last_error", "updated_at"])
    else:
        reject_company(
            case,
            by=operator,
            reason=_(
                "Your verified name and ID number do not match the legal representative given for "
                "the company. Choose the authorisation letter or the bank micro-deposit instead."
            ),
        )
