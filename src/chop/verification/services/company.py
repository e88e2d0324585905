"""A company's verification: submission, the business registry's answer, the operator's review.

A case that passes moves on to the proof of the applicant's right to act for the company
(``authority``), unless the operator already read it in a signed letter.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from chop.audit.events import record
from chop.orgs.models import Company

from .. import pii, providers
from ..models import CompanyVerification
from ..states import OPEN_STATES, State
from .approval import approve_company, check_seal_drawable, reject_company
from .authority import enter_authority
from .errors import VerificationError
from .evidence import company_inputs, review_evidence
from .steps import (
    decision_transaction,
    enqueue_on_commit,
    save_or_drop_uploads,
    take_provider_answer,
)


@dataclass
class CompanyInput:
    company_name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id: str
    legal_rep_id_masked: str
    licence: object
    method: str
    letter: object | None = None
    bank_account_name: str = ""
    bank_name: str = ""
    bank_account: str = ""


def open_company_case(company: Company) -> CompanyVerification | None:
    return CompanyVerification.objects.filter(company=company, state__in=OPEN_STATES).first()


def uscc_taken(uscc: str, company: Company) -> Company | None:
    """The other company that already holds this USCC (verified, or with a case under way)."""
    other = Company.objects.filter(uscc=uscc).exclude(pk=company.pk).first()
    if other:
        return other
    case = (
        CompanyVerification.objects.filter(
            uscc=uscc,
            state__in=[State.APPROVED, *OPEN_STATES],
        )
        .exclude(company=company)
        .select_related("company")
        .first()
    )
    return case.company if case else None


def submit_company(
    user, company: Company, data: CompanyInput, *, request=None
) -> CompanyVerification:
    if company.status == Company.Status.VERIFIED:
        raise VerificationError(_("This company is already verified."))
    if open_company_case(company):
        raise VerificationError(
            _("This company already has a verification waiting for a decision.")
        )
    if uscc_taken(data.uscc, company):
        raise _uscc_taken_error()
    with _one_live_case(company), transaction.atomic():
        case = CompanyVerification(
            applicant=user,
            company=company,
            state=State.PENDING_PROVIDER,
            company_name=data.company_name,
            uscc=data.uscc,
            legal_rep_name=data.legal_rep_name,
            licence=data.licence,
            method=data.method,
            letter=data.letter or "",
            bank_account_name=data.bank_account_name,
            bank_name=data.bank_name,
        )
        case.set_legal_rep_id(data.legal_rep_id, data.legal_rep_id_masked)
        if data.bank_account:
            case.bank_account_encrypted = pii.encrypt(data.bank_account)
            case.bank_account_masked = "****" + data.bank_account[-4:]
        save_or_drop_uploads(case)
        company.status = Company.Status.PENDING
        company.save(update_fields=["status"])
        record(
            "verification.company_submitted",
            request=request,
            actor=user,
            company=company,
            obj=case,
            method=data.method,
        )
        from .. import tasks

        enqueue_on_commit(tasks.ask_registry_provider, case.pk)
    return case


def _uscc_taken_error() -> VerificationError:
    return VerificationError(
        _(
            "This unified social credit code is already verified on Chop. Ask the company's "
            "administrator to invite you instead of verifying it again."
        )
    )


@contextlib.contextmanager
def _one_live_case(company: Company):
    """Turn the database's one-case constraints into the friendly messages.

    Two submissions can pass the checks in ``submit_company`` at the same moment; the unique
    constraints on ``CompanyVerification`` (one open or approved case per USCC, one open case
    per company) let only one of them in, and the other ends here.
    """
    try:
        yield
    except IntegrityError:
        if open_company_case(company):
            raise VerificationError(
                _("This company already has a verification waiting for a decision.")
            ) from None
        raise _uscc_taken_error() from None


def ask_registry_provider(case: CompanyVerification) -> CompanyVerification:
    provider = providers.registry()
    answer = providers.check_company(
        provider, name=case.company_name, uscc=case.uscc, legal_rep_name=case.legal_rep_name
    )
    return take_provider_answer(
        case, answer, step="registry", inputs=company_inputs, decide=_registry_answered
    )


def _registry_answered(case: CompanyVerification, answer: providers.ProviderAnswer) -> None:
    if answer.status == providers.VERIFIED and case.method != CompanyVerification.Method.LETTER:
        case.registry_passed = True
        case.last_error = ""
        enter_authority(case, operator=None)
    elif answer.status in (providers.VERIFIED, providers.NEEDS_REVIEW):
        # the operator compares the licence (and reads the letter) by hand
        case.registry_passed = answer.status == providers.VERIFIED
        case.last_error = ""
        case.advance(State.PENDING_REVIEW)
    else:  # providers.REFUSED
        reject_company(case, reason=answer.detail or _("The business registry refused."), by=None)
        record(
            "verification.company_rejected",
            company=case.company,
            obj=case,
            automatic=True,
            provider=answer.provider,
            reason=answer.detail,
        )


def decide_company(
    case: CompanyVerification, *, approve: bool, operator, reason: str = "", request=None
) -> CompanyVerification:
    if not approve and not reason.strip():
        raise VerificationError(_("Say why the verification is rejected: the applicant sees it."))
    with decision_transaction():
        case = CompanyVerification.objects.select_for_update().get(pk=case.pk)
        if case.state != State.PENDING_REVIEW:
            from ..states import InvalidTransition

            raise InvalidTransition(case, State.APPROVED if approve else State.REJECTED)
        if approve:
            check_seal_drawable(case)  # before anything moves: the case stays reviewable
        review_evidence(
            case,
            operator=operator,
            result="approved" if approve else "rejected",
            detail=reason.strip(),
            inputs=company_inputs(case),
        )
        record(
            "verification.company_" + ("reviewed" if approve else "rejected"),
            request=request,
            actor=operator,
            company=case.company,
            obj=case,
            reason=reason.strip(),
        )
        if not approve:
            reject_company(case, reason=reason.strip(), by=operator)
            return case
        case.registry_passed = True
        if case.method == CompanyVerification.Method.LETTER:
            approve_company(case, by=operator)
        else:
            enter_authority(case, operator=operator)
    return case
