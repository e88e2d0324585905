"""The bank micro-deposit: a company proves it controls its account by reading a small amount,
sent by the payment provider, off its statement (chop.identity.MicroDeposit: three tries, 72
hours). The amount is the secret, so it is stored encrypted like an ID number.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from chop.audit.events import record

from .. import notify, pii, providers
from ..models import CompanyVerification
from ..states import State
from .approval import approve_company, reject_company, release_company
from .errors import VerificationError
from .evidence import record_evidence
from .steps import decision_transaction


def deposit_due(case: CompanyVerification) -> bool:
    """Waiting for its micro-deposit to be sent (a first time, or again after a failure)."""
    return (
        case.state == State.PENDING_AUTHORITY
        and case.method == CompanyVerification.Method.DEPOSIT
        and not case.deposit_encrypted
    )


def send_deposit(case: CompanyVerification) -> CompanyVerification:
    """Issue a micro-deposit challenge and ask the payment provider to send it (a task).

    The provider is called with no transaction open; the challenge is stored only if the provider
    says it was sent, under the case's lock, and only if no other run stored one meanwhile.
    """
    from chop.identity import MicroDeposit

    case = CompanyVerification.objects.get(pk=case.pk)
    if not deposit_due(case):
        return case
    deposit = MicroDeposit.issue()
    account = pii.decrypt(case.bank_account_encrypted)
    answer = providers.send_deposit(
        providers.payment(),
        request_id=f"chop-company-{case.pk}-{timezone.now():%Y%m%d%H%M%S}",
        account_name=case.bank_account_name,
        bank=case.bank_name,
        account=account,
        amount_fen=deposit.amount_fen,
    )
    with decision_transaction():
        case = CompanyVerification.objects.select_for_update().get(pk=case.pk)
        record_evidence(
            case,
            step="deposit_sent",
            method="deposit",
            provider=answer.provider,
            result=answer.status,
            detail=answer.detail,
            inputs={"account": pii.match_hash(account)},
        )
        if not deposit_due(case):
            return case
        if answer.status == providers.SENT:
            case.store_deposit(deposit)
            case.deposit_reference = answer.reference
            case.deposit_sent_at = timezone.now()
            case.last_error = ""
            case.advance(State.PENDING_AUTHORITY)
            notify.deposit_sent(case)
        else:
            # Nothing was sent: the case waits, says why, and the periodic retry sends again.
            case.last_error = answer.detail[:400]
            case.advance(State.PENDING_AUTHORITY)
    return case


def enter_deposit(case: CompanyVerification, amount_text: str, *, user, request=None) -> bool:
    """Check the amount the applicant read off the bank statement (chop.identity.MicroDeposit:
    three tries, 72 hours). The row is locked, so two quick guesses cannot both be the first."""
    with decision_transaction():
        case = CompanyVerification.objects.select_for_update().get(pk=case.pk)
        if (
            case.state != State.PENDING_AUTHORITY
            or case.method != CompanyVerification.Method.DEPOSIT
        ):
            raise VerificationError(_("This verification is not waiting for a deposit amount."))
        if not case.deposit_encrypted:
            raise VerificationError(_("The deposit has not been sent yet."))
        deposit = case.load_deposit()
        result = deposit.check(amount_text)
        case.store_deposit(deposit)
        case.save(update_fields=["deposit_encrypted", "deposit_tries_left", "deposit_expires_at"])
        from chop.explain import explain

        message = explain(result)
        if result.counted or result.reason_code == "expired":
            record_evidence(
                case,
                step="deposit_check",
                method="deposit",
                provider="platform",
                result=result.reason_code,
                detail=f"attempts left {result.attempts_left}",
            )
            record(
                "verification.deposit_entered",
                request=request,
                actor=user,
                company=case.company,
                obj=case,
                result=result.reason_code,
            )
        if result.verified:
            approve_company(case, by=None)
            return True
        if result.reason_code == "expired":
            case.advance(State.EXPIRED, reason=message)
            release_company(case)
            notify.company_decided(case)
            record(
                "verification.company_expired",
                company=case.company,
                obj=case,
                automatic=True,
                reason=result.reason_code,
            )
        elif result.reason_code == "too_many_attempts":
            reject_company(case, by=None, reason=message)
            record(
                "verification.company_rejected",
                company=case.company,
                obj=case,
                automatic=True,
                reason=result.reason_code,
            )
        elif not result.counted:
            raise VerificationError(message)
    return False
