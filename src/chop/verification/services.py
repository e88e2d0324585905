"""What happens when a person or a company asks to be verified, and when someone decides.

Views call these functions; they hold the rules: providers are asked, the state machine moves,
every decision becomes evidence and an audit event, approvals issue certificates and seals. Each
step runs in a transaction, so a failure leaves the case where it was, never half-moved.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chop.audit.events import record
from chop.orgs.models import Company

from . import notify, pii, providers
from .models import CompanyVerification, Evidence, PersonVerification
from .states import OPEN_STATES, State

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _decision():
    """The transaction of a decision that may issue certificates and send messages.

    Certificates issued inside end up bound to committed rows or are revoked and their keys
    deleted (``issuance.certificates_bound_or_discarded``); messages and tasks wait for the
    commit (``transaction.on_commit``), so a decision that rolls back has told nobody.
    """
    from chop.seals import issuance

    with issuance.certificates_bound_or_discarded(), transaction.atomic():
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


class VerificationError(Exception):
    """A request that cannot be honoured, with a message for the user."""


class ApprovalBlocked(VerificationError):
    """Approval cannot complete (the seal cannot be drawn): nothing of it is kept."""


def _identity_taken_message() -> str:
    return _(
        "This ID number is already verified, or waiting for verification, on another Chop "
        "account. One person verifies on one account: log in with that account, or contact "
        "support if it is not yours."
    )


@dataclass
class PersonInput:
    name: str
    id_number: str
    id_number_masked: str
    phone: str
    id_front: object  # UploadedFile
    id_back: object


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


def _file_hash(f) -> str:
    f.seek(0)
    digest = pii.sha256_hex(f.read())
    f.seek(0)
    return digest


def _evidence(
    case,
    *,
    step: str,
    method: str,
    provider: str,
    result: str,
    detail: str = "",
    operator=None,
    inputs: dict | None = None,
) -> Evidence:
    return Evidence.objects.create(
        case_type="person" if isinstance(case, PersonVerification) else "company",
        case_id=case.pk,
        step=step,
        method=method,
        provider=provider,
        result=result,
        detail=detail[:2000],
        operator=operator,
        inputs=inputs or {},
    )


def person_inputs(case: PersonVerification) -> dict:
    return {
        "name": pii.sha256_hex(case.name.encode()),
        "id_number": case.id_number_hash,
        "phone": pii.sha256_hex(case.phone.encode()),
        "id_front": _file_hash(case.id_front),
        "id_back": _file_hash(case.id_back),
    }


def company_inputs(case: CompanyVerification) -> dict:
    inputs = {
        "company_name": pii.sha256_hex(case.company_name.encode()),
        "uscc": pii.sha256_hex(case.uscc.encode()),
        "legal_rep_name": pii.sha256_hex(case.legal_rep_name.encode()),
        "legal_rep_id": case.legal_rep_id_hash,
        "licence": _file_hash(case.licence),
    }
    if case.letter:
        inputs["letter"] = _file_hash(case.letter)
    return inputs


# ---------------------------------------------------------------------------------------- people


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
    from .consent import identity_held_elsewhere

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
            _save_or_drop_uploads(case)
            record(
                "verification.person_submitted",
                request=request,
                actor=user,
                company=None,
                obj=case,
            )
            from . import tasks

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
    outcome = providers.check_person(
        provider, name=case.name, id_number=case.id_number, phone=case.phone
    )
    with _decision():
        case = PersonVerification.objects.select_for_update().get(pk=case.pk)
        if case.state != State.PENDING_PROVIDER:
            return case
        case.provider = outcome.provider
        _evidence(
            case,
            step="identity",
            method="provider",
            provider=outcome.provider,
            result=outcome.status,
            detail=outcome.detail,
            inputs=person_inputs(case),
        )
        if outcome.status == providers.VERIFIED:
            case.last_error = ""
            case.advance(State.APPROVED)
            _after_person_approved(case, operator=None)
        elif outcome.status == providers.NEEDS_REVIEW:
            case.last_error = ""
            case.advance(State.PENDING_REVIEW)
        elif outcome.status == providers.REFUSED:
            case.advance(
                State.REJECTED, reason=outcome.detail or _("The identity provider refused.")
            )
            record(
                "verification.person_rejected",
                company=None,
                obj=case,
                automatic=True,
                provider=outcome.provider,
                reason=case.reason,
            )
            notify.person_decided(case)
        else:
            case.last_error = outcome.detail[:400]
            case.advance(State.PENDING_PROVIDER)
    return case


def decide_person(
    case: PersonVerification, *, approve: bool, operator, reason: str = "", request=None
) -> PersonVerification:
    if not approve and not reason.strip():
        raise VerificationError(_("Say why the verification is rejected: the applicant sees it."))
    with _decision():
        case = PersonVerification.objects.select_for_update().get(pk=case.pk)
        target = State.APPROVED if approve else State.REJECTED
        case.advance(target, by=operator, reason="" if approve else reason.strip())
        _evidence(
            case,
            step="review",
            method="operator",
            provider="operator-review",
            result="approved" if approve else "rejected",
            detail=reason.strip(),
            operator=operator,
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
    user = case.applicant
    if case.name and user.name != case.name:
        user.name = case.name
        user.save(update_fields=["name"])
    notify.person_decided(case)
    # A company waiting for this person as its legal representative can now proceed.
    waiting = CompanyVerification.objects.filter(
        state=State.PENDING_AUTHORITY,
        method=CompanyVerification.Method.LEGAL_REP,
        applicant=user,
    )
    for company_case in waiting:
        _try_legal_rep_authority(company_case, operator=operator)
    # No legal-representative seal is issued here: being named in an application is not consent.
    # The person confirms in each company, as a member, with a code (see consent.py).


# ------------------------------------------------------------------------------------- companies


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
            case.bank_account_sealed = pii.seal(data.bank_account)
            case.bank_account_masked = "****" + data.bank_account[-4:]
        _save_or_drop_uploads(case)
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
        from . import tasks

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


def _save_or_drop_uploads(case: PersonVerification | CompanyVerification) -> None:
    """Save; if the INSERT fails, delete the uploads it had already written to storage."""
    try:
        case.save()
    except IntegrityError:
        for field in case._meta.get_fields():
            f = getattr(case, field.name, None) if isinstance(field, models.FileField) else None
            if f:
                f.delete(save=False)
        raise


def ask_registry_provider(case: CompanyVerification) -> CompanyVerification:
    provider = providers.registry()
    outcome = providers.check_company(
        provider, name=case.company_name, uscc=case.uscc, legal_rep_name=case.legal_rep_name
    )
    with _decision():
        case = CompanyVerification.objects.select_for_update().get(pk=case.pk)
        if case.state != State.PENDING_PROVIDER:
            return case
        case.provider = outcome.provider
        _evidence(
            case,
            step="registry",
            method="provider",
            provider=outcome.provider,
            result=outcome.status,
            detail=outcome.detail,
            inputs=company_inputs(case),
        )
        if (
            outcome.status == providers.VERIFIED
            and case.method != CompanyVerification.Method.LETTER
        ):
            case.registry_passed = True
            case.last_error = ""
            _enter_authority(case, operator=None)
        elif outcome.status in (providers.VERIFIED, providers.NEEDS_REVIEW):
            # the operator compares the licence (and reads the letter) by hand
            case.registry_passed = outcome.status == providers.VERIFIED
            case.last_error = ""
            case.advance(State.PENDING_REVIEW)
        elif outcome.status == providers.REFUSED:
            _reject_company(
                case, reason=outcome.detail or _("The business registry refused."), by=None
            )
            record(
                "verification.company_rejected",
                company=case.company,
                obj=case,
                automatic=True,
                provider=outcome.provider,
                reason=outcome.detail,
            )
        else:
            case.last_error = outcome.detail[:400]
            case.advance(State.PENDING_PROVIDER)
    return case


def decide_company(
    case: CompanyVerification, *, approve: bool, operator, reason: str = "", request=None
) -> CompanyVerification:
    if not approve and not reason.strip():
        raise VerificationError(_("Say why the verification is rejected: the applicant sees it."))
    with _decision():
        case = CompanyVerification.objects.select_for_update().get(pk=case.pk)
        if case.state != State.PENDING_REVIEW:
            from .states import InvalidTransition

            raise InvalidTransition(case, State.APPROVED if approve else State.REJECTED)
        if approve:
            check_seal_drawable(case)  # before anything moves: the case stays reviewable
        _evidence(
            case,
            step="review",
            method="operator",
            provider="operator-review",
            result="approved" if approve else "rejected",
            detail=reason.strip(),
            operator=operator,
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
            _reject_company(case, reason=reason.strip(), by=operator)
            return case
        case.registry_passed = True
        if case.method == CompanyVerification.Method.LETTER:
            _approve_company(case, by=operator)
        else:
            _enter_authority(case, operator=operator)
    return case


def _enter_authority(case: CompanyVerification, *, operator) -> None:
    """Registry passed: now the applicant proves the right to act for the company."""
    if case.method == CompanyVerification.Method.LEGAL_REP:
        case.advance(State.PENDING_AUTHORITY)
        _try_legal_rep_authority(case, operator=operator)
    elif case.method == CompanyVerification.Method.DEPOSIT:
        # The payment provider is called by a task after this commits, not under this lock.
        case.advance(State.PENDING_AUTHORITY)
        from . import tasks

        enqueue_on_commit(tasks.send_deposit, case.pk)
    else:
        case.advance(State.PENDING_REVIEW)


def _try_legal_rep_authority(case: CompanyVerification, *, operator) -> None:
    person = approved_person_case(case.applicant)
    if person is None:
        return  # waits for the applicant's own verification
    matches = person.id_number_hash == case.legal_rep_id_hash and person.name == case.legal_rep_name
    _evidence(
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
                _approve_company(case, by=operator)
        except ApprovalBlocked as exc:
            case.refresh_from_db()
            case.last_error = str(exc)[:400]
            case.save(update_fields=["last_error", "updated_at"])
    else:
        _reject_company(
            case,
            by=operator,
            reason=_(
                "Your verified name and ID number do not match the legal representative given for "
                "the company. Choose the authorisation letter or the bank micro-deposit instead."
            ),
        )


def _deposit_due(case: CompanyVerification) -> bool:
    """Waiting for its micro-deposit to be sent (a first time, or again after a failure)."""
    return (
        case.state == State.PENDING_AUTHORITY
        and case.method == CompanyVerification.Method.DEPOSIT
        and not case.deposit_sealed
    )


def send_deposit(case: CompanyVerification) -> CompanyVerification:
    """Issue a micro-deposit challenge and ask the payment provider to send it (a task).

    The provider is called with no transaction open; the challenge is stored only if the provider
    says it was sent, under the case's lock, and only if no other run stored one meanwhile.
    """
    from chop.identity import MicroDeposit

    case = CompanyVerification.objects.get(pk=case.pk)
    if not _deposit_due(case):
        return case
    deposit = MicroDeposit.issue()
    account = pii.unseal(case.bank_account_sealed)
    outcome = providers.send_deposit(
        providers.payment(),
        request_id=f"chop-company-{case.pk}-{timezone.now():%Y%m%d%H%M%S}",
        account_name=case.bank_account_name,
        bank=case.bank_name,
        account=account,
        amount_fen=deposit.amount_fen,
    )
    with _decision():
        case = CompanyVerification.objects.select_for_update().get(pk=case.pk)
        _evidence(
            case,
            step="deposit_sent",
            method="deposit",
            provider=outcome.provider,
            result=outcome.status,
            detail=outcome.detail,
            inputs={"account": pii.match_hash(account)},
        )
        if not _deposit_due(case):
            return case
        if outcome.status == providers.SENT:
            case.store_deposit(deposit)
            case.deposit_reference = outcome.reference
            case.deposit_sent_at = timezone.now()
            case.last_error = ""
            case.advance(State.PENDING_AUTHORITY)
            notify.deposit_sent(case)
        else:
            # Nothing was sent: the case waits, says why, and the periodic retry sends again.
            case.last_error = outcome.detail[:400]
            case.advance(State.PENDING_AUTHORITY)
    return case


def enter_deposit(case: CompanyVerification, amount_text: str, *, user, request=None) -> bool:
    """Check the amount the applicant read off the bank statement (chop.identity.MicroDeposit:
    three tries, 72 hours). The row is locked, so two quick guesses cannot both be the first."""
    with _decision():
        case = CompanyVerification.objects.select_for_update().get(pk=case.pk)
        if (
            case.state != State.PENDING_AUTHORITY
            or case.method != CompanyVerification.Method.DEPOSIT
        ):
            raise VerificationError(_("This verification is not waiting for a deposit amount."))
        if not case.deposit_sealed:
            raise VerificationError(_("The deposit has not been sent yet."))
        deposit = case.load_deposit()
        result = deposit.check(amount_text)
        case.store_deposit(deposit)
        case.save(update_fields=["deposit_sealed", "deposit_tries_left", "deposit_expires_at"])
        message = (
            result.message_en
            if (translation.get_language() or "").startswith("en")
            else result.message_zh
        )
        if result.counted or result.reason_code == "expired":
            _evidence(
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
            _approve_company(case, by=None)
            return True
        if result.reason_code == "expired":
            case.advance(State.EXPIRED, reason=message)
            _release_company(case)
            notify.company_decided(case)
            record(
                "verification.company_expired",
                company=case.company,
                obj=case,
                automatic=True,
                reason=result.reason_code,
            )
        elif result.reason_code == "too_many_attempts":
            _reject_company(case, by=None, reason=message)
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


def _release_company(case: CompanyVerification) -> None:
    company = case.company
    if company.status != Company.Status.VERIFIED:
        company.status = (
            Company.Status.REJECTED if case.state == State.REJECTED else Company.Status.UNVERIFIED
        )
        company.save(update_fields=["status"])


def _reject_company(case: CompanyVerification, *, reason: str, by) -> None:
    case.advance(State.REJECTED, by=by, reason=reason)
    _release_company(case)
    notify.company_decided(case)


def check_seal_drawable(case: CompanyVerification) -> None:
    """Raise ApprovalBlocked, with the reason for the operator, if the official seal cannot be
    drawn from the name on the case (cases submitted before forms checked it)."""
    from chop.sealart import check_seal_text
    from chop.sealtext import seal_text_message

    problem = check_seal_text("official", case.company_name)
    if problem is not None:
        raise ApprovalBlocked(
            _(
                "The official seal cannot be drawn from the company name: %(reason)s Reject the "
                "case with this reason so the applicant can correct the name."
            )
            % {"reason": seal_text_message(problem)}
        )


def note_blocked_approval(case, *, operator, reason: str, request=None) -> None:
    """After an approval rolled back (ApprovalBlocked): keep why, as evidence, an audit event and
    the case's last error, so the operator sees it on the case page; the case stays reviewable."""
    with transaction.atomic():
        case = type(case).objects.select_for_update().get(pk=case.pk)
        _evidence(
            case,
            step="review",
            method="operator",
            provider="operator-review",
            result="blocked",
            detail=reason,
            operator=operator,
        )
        case.last_error = reason[:400]
        case.save(update_fields=["last_error", "updated_at"])
        record(
            "verification.approval_blocked",
            request=request,
            actor=operator,
            company=getattr(case, "company", None),
            obj=case,
            reason=reason,
        )


def _approve_company(case: CompanyVerification, *, by) -> None:
    """Everything is proven: the company is verified, gets its certificate and official seal.

    The legal representative's seal is not issued here: it needs their consent (consent.py).
    Raises ApprovalBlocked (and the caller's transaction rolls back) if the seal cannot be drawn.
    """
    from chop.sealart import SealSpecError
    from chop.seals import issuance

    check_seal_drawable(case)
    case.advance(State.APPROVED, by=by)
    company = case.company
    company.name = case.company_name
    company.uscc = case.uscc
    company.status = Company.Status.VERIFIED
    company.save(update_fields=["name", "uscc", "status"])
    record("company.verified", actor=by, company=company, obj=case, method=case.method)
    try:
        issuance.ensure_official_seal(company, by=by)
    except SealSpecError as exc:
        from chop.sealtext import seal_text_message

        raise ApprovalBlocked(seal_text_message(exc)) from exc
    notify.company_decided(case)


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
        state=State.PENDING_AUTHORITY, method=CompanyVerification.Method.DEPOSIT, deposit_sealed=""
    )
    for case in unsent:
        if force or _retry_due(case, "deposit_sent", now):
            send_deposit(case)
            n += 1
    return n
