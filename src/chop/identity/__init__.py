"""Real-name verification engine: local checks of ID numbers, credit codes and mobile numbers,
and the providers that confirm them with an outside source. Plain Python, no Django.

Quick reference::

    validate_resident_id("11010519491231002X")   -> ValidationResult (valid, reason, messages)
    require_resident_id(...)                     -> ResidentId (birth_date, sex) or InvalidIdentifier
    mask_id_number("11010519491231002X")         -> "110***********002X"
    validate_uscc("9144030071526726XG")          -> ValidationResult
    require_uscc(...)                            -> Uscc (authority, category, org_code)
    validate_mobile("+86 138-0013-8000")         -> ValidationResult, normalized "13800138000"
    validate_email(" Li@Example.com")            -> ValidationResult, normalized "li@example.com"
    provider_from_config("identity", {...})      -> IdentityProvider
    MicroDeposit.issue(); deposit.check("0.37")  -> DepositCheck

Command line: ``python -m chop.identity id|uscc|phone VALUE``.
"""

from __future__ import annotations

from .email import normalize_email, require_email, validate_email
from .microdeposit import DepositCheck, MicroDeposit, parse_amount_fen
from .phone import mask_mobile, require_mobile, to_e164, validate_mobile
from .providers import (
    CompanyClaim,
    IdentityProvider,
    Outcome,
    PaymentProvider,
    PersonClaim,
    ProviderConfigError,
    RegistryProvider,
    TransferRequest,
    TransferResult,
    TransferStatus,
    VerificationResult,
    provider_from_config,
)
from .resident_id import (
    ResidentId,
    Sex,
    id_check_char,
    mask_id_number,
    parse_resident_id,
    require_resident_id,
    validate_resident_id,
)
from .uscc import (
    Uscc,
    org_code_check_char,
    parse_uscc,
    require_uscc,
    uscc_check_char,
    validate_uscc,
)
from .validation import InvalidIdentifier, ValidationResult

__all__ = [
    "CompanyClaim",
    "DepositCheck",
    "IdentityProvider",
    "InvalidIdentifier",
    "MicroDeposit",
    "Outcome",
    "PaymentProvider",
    "PersonClaim",
    "ProviderConfigError",
    "RegistryProvider",
    "ResidentId",
    "Sex",
    "TransferRequest",
    "TransferResult",
    "TransferStatus",
    "Uscc",
    "ValidationResult",
    "VerificationResult",
    "id_check_char",
    "mask_id_number",
    "mask_mobile",
    "normalize_email",
    "org_code_check_char",
    "parse_amount_fen",
    "parse_resident_id",
    "parse_uscc",
    "provider_from_config",
    "require_email",
    "require_mobile",
    "require_resident_id",
    "require_uscc",
    "to_e164",
    "uscc_check_char",
    "validate_email",
    "validate_mobile",
    "validate_resident_id",
    "validate_uscc",
]
