"""A person's real-name verification: submission, the identity provider's answer, the review.

An approved person can then act for companies that name them as legal representative: their
approval lets such a company case proceed (``authority.try_legal_rep_authority``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from chop.audit.events import record

from .. import notify, pii, providers
from ..models import CompanyVerification, PersonVerification
from ..states import State
from .errors import VerificationError
from .evidence import person_inputs, review_evidence
from .steps import (
    decision_transaction,
    enqueue_on_commit,
    save_or_drop_uploads,
    take_provider_answer,
)


@dataclass
class PersonInput:
    name: str
    id_number: str
    id_number_masked: str
    phone: str
    id_front: object  # UploadedFile
    id_back: object


def _identity_taken_message() -> str:
    return _(
        "This ID number is already verified, or waiting for verification, on another Chop "
        "account. One person verifies on one account: log in with that account, or contact "
        "support if it is not yours."
    )


def open_person_case(user) -> PersonVerification | None:
    return PersonVerification.objects.filter(
        applicant=user, state__in=[State.PENDING_PROVIDER, State.PENDING_REVIEW]
    ).first()


def approved_person_case(user) -> PersonVerification | None:
    return PersonVerification.objects.filter(applicant=user, state=State.APPROVED).first()


def submit_person(user, data: PersonInput, *, request=None) -> PersonVerification:
    if approved_person_case(user):
        raise VerificationError(_("Your real name is already verified."))
    if open_person_case(user):
        raise VerificationError(_("You already have a verification waiting for a decision."))
    from ..consent import identity_held_elsewhere

    if identity_held_elsewhere(pii.match_hash(data.id_number), user):
        raise VerificationError(_identity_taken_message())
    try:
        with transaction.atomic():
            case = PersonVerification(
                applicant=user,
                state=State.PENDING_PROVIDER,
                name=data.name,
                phone=data.phone,
                id_front=data.id_front,
                id_back=data.id_back,
            )
            case.set_id_number(data.id_number, data.id_number_masked)
            save_or_drop_uploads(case)
            record(
                "verification.person_submitted",
                request=request,
                actor=user,
                company=None,
                obj=case,
            )
            from .. import tasks

            enqueue_on_commit(tasks.ask_identity_provider, case.pk)
    except IntegrityError:
        # the database's one-live-case-per-ID/per-account constraint: a concurrent submission won
        raise VerificationError(_identity_taken_message()) from None
    return case


def ask_identity_provider(case: PersonVerification) -> PersonVerification:
    """Ask the configured identity provider; its answer decides the next state.

    A timeout or failure leaves the case pending with the reason, to be retried; it is never
    taken as a yes.
    """
    provider = providers.identity()
    answer = providers.check_person(
        provider, name=case.name, id_number=case.id_number, phone=case.phone
    )
    return take_provider_answer(
        case, answer, step="identity", inputs=person_inputs, decide=_identity_answered
    )


def _identity_answered(case: PersonVerification, answer: providers.ProviderAnswer) -> None:
    if answer.status == providers.VERIFIED:
        case.last_error = ""
        case.advance(State.APPROVED)
        _after_person_approved(case, operator=None)
    elif answer.status == providers.NEEDS_REVIEW:
        case.last_error = ""
        case.advance(State.PENDING_REVIEW)
    else:  # providers.REFUSED
        case.advance(State.REJECTED, reason=answer.detail or _("The identity provider refused."))
        record(
            "verification.person_rejected",
            company=None,
            obj=case,
            automatic=True,
            provider=answer.provider,
            reason=case.reason,
        )
        notify.person_decided(case)


def decide_person(
    case: PersonVerification, *, approve: bool, operator, reason: str = "", request=None
) -> PersonVerification:
    if not approve and not reason.strip():
        raise VerificationError(_("Say why the verification is rejected: the applicant sees it."))
    with decision_transaction():
        case = PersonVerification.objects.select_for_update().get(pk=case.pk)
        target = State.APPROVED if approve else State.REJECTED
        case.advance(target, by=operator, reason="" if approve else reason.strip())
        review_evidence(
            case,
            operator=operator,
            result="approved" if approve else "rejected",
            detail=reason.strip(),
            inputs=person_inputs(case),
        )
        record(
            "verification.person_" + ("approved" if approve else "rejected"),
            request=request,
            actor=operator,
            company=None,
            obj=case,
            reason=reason.strip(),
        )
        if approve:
            _after_person_approved(case, operator=operator)
        else:
            notify.person_decided(case)
    return case


def _after_person_approved(case: PersonVerification, *, operator) -> None:
    from .authority import try_legal_rep_authority  # it reads approved person cases from here

    user = case.applicant
    if case.name and user.name != case.name:
        user.name = case.name
        user.save(update_fields=["name"])
    notify.person_decided(case)
    # Signatures the person made before being verified now get their person certificate.
    from chop.seals import signatures

    signatures.person_verified(user, case.name, case.id_number, by=operator)
    # A company waiting for this person as its legal representative can now proceed.
    waiting = CompanyVerification.objects.filter(
        state=State.PENDING_AUTHORITY,
        method=CompanyVerification.Method.LEGAL_REP,
        applicant=user,
    )
    for company_case in waiting:
        try_legal_rep_authority(company_case, operator=operator)
    # No legal-representative seal is issued here: being named in an application is not consent.
    # The person confirms in each company, as a member, with a code (see consent.py).
