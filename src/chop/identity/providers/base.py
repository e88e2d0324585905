"""Provider interfaces and the results they return.

Three kinds of provider confirm what local checks cannot:

* an **identity provider** confirms that a name and an ID number belong together (公安 data, via a
  commercial 实名核验 service, or an operator looking at ID photos);
* a **registry provider** confirms a company name and credit code against the business registry
  (国家企业信用信息公示系统, via a data vendor, or an operator looking at the licence);
* a **payment provider** sends a bank micro-deposit (对公打款) whose amount the company enters back.

The rule every implementation follows: **a provider never reports success it did not check.**
Each answer is exactly one of VERIFIED, REFUSED (with a reason), NEEDS_REVIEW (a person must
decide; the result says what to check) or ERROR (temporary: timeout, 5xx, malformed reply; try
again later). Anything unexpected is ERROR, never VERIFIED.

Before asking anyone, :class:`IdentityProvider` and :class:`RegistryProvider` run the local
checksum validators: a number that fails its own check digit is REFUSED without spending a paid
query or an operator's time, and without sending personal data anywhere.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
import secrets
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..phone import validate_mobile
from ..resident_id import mask_id_number, validate_resident_id
from ..uscc import validate_uscc
from ..validation import ValidationResult

__all__ = [
    "CompanyClaim",
    "IdentityProvider",
    "Outcome",
    "PaymentProvider",
    "PersonClaim",
    "Provider",
    "ProviderConfigError",
    "RegistryProvider",
    "ReviewItem",
    "TransferRequest",
    "TransferResult",
    "TransferStatus",
    "VerificationResult",
]

MAX_NAME_LENGTH = 100


class Outcome(enum.StrEnum):
    VERIFIED = "verified"
    REFUSED = "refused"
    NEEDS_REVIEW = "needs_review"
    ERROR = "error"


class TransferStatus(enum.StrEnum):
    """A payment provider does not verify anything; it reports whether the money went out."""

    SENT = "sent"
    REFUSED = "refused"  # the bank refused: account closed, name does not match the account, ...
    NEEDS_REVIEW = "needs_review"  # an operator must make the transfer by hand
    ERROR = "error"  # temporary; safe to retry with the same request id


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One thing an operator must check before deciding; stable ``code`` for checklists."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """One provider answer, shaped to be stored as evidence (:meth:`as_evidence`).

    ``provider`` names the backend that answered (``"http"``, ``"review"``, ``"local"``);
    ``reference`` is the provider's own transaction id, so a decision can be traced at the source;
    ``attempts`` counts HTTP tries. ``review`` lists what the operator must check when the status
    is NEEDS_REVIEW.

    The app renders ``code`` and ``params`` through ``chop.explain`` (namespace ``identity``): a
    local refusal keeps the code of the check that refused (``subject``, e.g.
    ``"uscc.bad_check_digit"``); a provider's answer is ``"provider.<status>"`` (its own reason,
    free text from the provider, is in ``params["reason"]``), or ``"provider.operator_review"``.
    """

    namespace: ClassVar[str] = "identity"

    status: Outcome
    provider: str
    reason_code: str = ""
    message_zh: str = ""
    message_en: str = ""
    reference: str | None = None
    review: tuple[ReviewItem, ...] = ()
    attempts: int = 0
    checked_at: dt.datetime = field(default_factory=_now)
    subject: str = "provider"
    details: dict[str, Any] = field(default_factory=dict, compare=False)  # local refusal params

    @property
    def verified(self) -> bool:
        return self.status is Outcome.VERIFIED

    @property
    def code(self) -> str:
        if self.subject != "provider":
            return f"{self.subject}.{self.reason_code}"
        if self.reason_code == "operator_review":
            return "provider.operator_review"
        return f"provider.{self.status.value}"

    @property
    def params(self) -> dict[str, Any]:
        return {"reason": self.reason_code, **self.details}

    @property
    def retryable(self) -> bool:
        return self.status is Outcome.ERROR

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    def as_evidence(self) -> dict[str, Any]:
        """JSON-ready record of the answer (contains no personal data from the claim)."""
        return {
            "status": self.status.value,
            "provider": self.provider,
            "reason_code": self.reason_code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "reference": self.reference,
            "review": [item.code for item in self.review],
            "attempts": self.attempts,
            "checked_at": self.checked_at.isoformat(),
        }

    @classmethod
    def refused_locally(cls, check: ValidationResult) -> VerificationResult:
        return cls(
            Outcome.REFUSED,
            "local",
            check.reason_code,
            check.message_zh,
            check.message_en,
            subject=check.subject or "local",
            details=dict(check.details),
        )


@dataclass(frozen=True, slots=True)
class PersonClaim:
    """What a person says about themselves. ``repr`` masks the ID number and phone."""

    name: str
    id_number: str
    phone: str | None = None

    def __repr__(self) -> str:
        from ..phone import mask_mobile

        phone = mask_mobile(self.phone) if self.phone else None
        return (
            f"PersonClaim(name={self.name!r}, id_number={mask_id_number(self.id_number)!r}, "
            f"phone={phone!r})"
        )


@dataclass(frozen=True, slots=True)
class CompanyClaim:
    """What a company says about itself."""

    name: str
    uscc: str
    legal_representative: str | None = None


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """A micro-deposit to send. ``request_id`` is the idempotency key: reuse it on retry."""

    request_id: str
    account_name: str
    account_number: str
    amount_fen: int
    bank_name: str | None = None
    memo: str = "Chop 对公账户验证"

    def __post_init__(self) -> None:
        if isinstance(self.amount_fen, bool) or not isinstance(self.amount_fen, int):
            raise TypeError("amount_fen must be an int")
        if not 1 <= self.amount_fen <= 99:
            raise ValueError("a micro-deposit is 1 to 99 fen")
        if not self.account_name.strip() or not self.account_number.strip():
            raise ValueError("account name and number are required")

    @classmethod
    def create(
        cls,
        account_name: str,
        account_number: str,
        amount_fen: int,
        bank_name: str | None = None,
    ) -> TransferRequest:
        """A request with a fresh random ``request_id``; store it to retry idempotently."""
        return cls(secrets.token_hex(16), account_name, account_number, amount_fen, bank_name)

    @property
    def masked_account(self) -> str:
        digits = self.account_number.replace(" ", "")
        return "*" * max(len(digits) - 4, 0) + digits[-4:]

    def __repr__(self) -> str:
        # The amount is the secret the company must read off its bank statement: never in logs.
        return (
            f"TransferRequest(request_id={self.request_id!r}, account_name={self.account_name!r}, "
            f"account={self.masked_account!r})"
        )


@dataclass(frozen=True, slots=True)
class TransferResult:
    """The payment provider's answer. ``simulated`` marks money that was not really sent.

    For people: ``code`` is ``"transfer.<status>"`` (or ``"transfer.simulated"``), rendered through
    ``chop.explain``; the provider's own reason is ``params["reason"]``.
    """

    namespace: ClassVar[str] = "identity"

    status: TransferStatus
    provider: str
    reference: str | None = None
    reason_code: str = ""
    message_zh: str = ""
    message_en: str = ""
    simulated: bool = False
    review: tuple[ReviewItem, ...] = ()
    attempts: int = 0
    sent_at: dt.datetime = field(default_factory=_now)

    @property
    def sent(self) -> bool:
        return self.status is TransferStatus.SENT

    @property
    def code(self) -> str:
        if self.simulated:
            return "transfer.simulated"
        return f"transfer.{self.status.value}"

    @property
    def params(self) -> dict[str, Any]:
        return {"reason": self.reason_code}

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    def as_evidence(self) -> dict[str, Any]:
        """JSON-ready record; the amount is deliberately absent (it is the secret)."""
        return {
            "status": self.status.value,
            "provider": self.provider,
            "reference": self.reference,
            "reason_code": self.reason_code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "simulated": self.simulated,
            "review": [item.code for item in self.review],
            "attempts": self.attempts,
            "sent_at": self.sent_at.isoformat(),
        }


def _check_name(name: str, zh: str, en: str) -> ValidationResult | None:
    stripped = name.strip() if isinstance(name, str) else ""
    if not stripped:
        return ValidationResult.fail("empty_name", f"请输入{zh}", f"Enter the {en}", subject="name")
    if len(stripped) > MAX_NAME_LENGTH:
        return ValidationResult.fail(
            "name_too_long",
            f"{zh}过长",
            f"The {en} is too long",
            subject="name",
            length=len(stripped),
        )
    return None


class ProviderConfigError(ValueError):
    """The provider configuration is unusable; raised at start-up, never during a request."""


class Provider:
    """Common base: ``backend`` names the implementation in evidence records."""

    backend: str = "abstract"


class IdentityProvider(Provider, abc.ABC):
    """Confirms that a person's name and ID number (and optionally phone) belong together."""

    def verify_person(self, claim: PersonClaim) -> VerificationResult:
        """Local checks first, then :meth:`_verify_person` with the normalised claim."""
        problem = _check_name(claim.name, "姓名", "name")
        if problem is not None:
            return VerificationResult.refused_locally(problem)
        id_check = validate_resident_id(claim.id_number)
        if not id_check.valid or id_check.normalized is None:
            return VerificationResult.refused_locally(id_check)
        phone = None
        if claim.phone:
            phone_check = validate_mobile(claim.phone)
            if not phone_check.valid:
                return VerificationResult.refused_locally(phone_check)
            phone = phone_check.normalized
        return self._verify_person(PersonClaim(claim.name.strip(), id_check.normalized, phone))

    @abc.abstractmethod
    def _verify_person(self, claim: PersonClaim) -> VerificationResult:
        """Ask the source; ``claim`` has passed the local checks and is normalised."""


class RegistryProvider(Provider, abc.ABC):
    """Confirms a company's name and credit code (and optionally legal representative)."""

    def verify_company(self, claim: CompanyClaim) -> VerificationResult:
        """Local checks first, then :meth:`_verify_company` with the normalised claim."""
        problem = _check_name(claim.name, "企业名称", "company name")
        if problem is not None:
            return VerificationResult.refused_locally(problem)
        code_check = validate_uscc(claim.uscc)
        if not code_check.valid or code_check.normalized is None:
            return VerificationResult.refused_locally(code_check)
        legal_rep = None
        if claim.legal_representative:
            problem = _check_name(
                claim.legal_representative, "法定代表人姓名", "legal representative"
            )
            if problem is not None:
                return VerificationResult.refused_locally(problem)
            legal_rep = claim.legal_representative.strip()
        return self._verify_company(
            CompanyClaim(claim.name.strip(), code_check.normalized, legal_rep)
        )

    @abc.abstractmethod
    def _verify_company(self, claim: CompanyClaim) -> VerificationResult:
        """Ask the source; ``claim`` has passed the local checks and is normalised."""


class PaymentProvider(Provider, abc.ABC):
    """Sends a micro-deposit. Whether the company read it back correctly is decided by
    :class:`chop.identity.microdeposit.MicroDeposit`, never by the provider."""

    @abc.abstractmethod
    def send_micro_deposit(self, request: TransferRequest) -> TransferResult:
        """Send ``request.amount_fen`` to the account; idempotent per ``request.request_id``."""
