"""Evidence of every decision on a case, and the hashes of what each decision saw.

``Evidence`` rows are append-only; their ``inputs`` hold SHA-256 (or keyed match) hashes of the
fields and uploads as submitted, never the values, so the evidence can later prove which material
a decision saw without keeping personal data twice.
"""

from __future__ import annotations

from .. import pii
from ..models import CompanyVerification, Evidence, PersonVerification


def _file_hash(f) -> str:
    f.seek(0)
    digest = pii.sha256_hex(f.read())
    f.seek(0)
    return digest


def record_evidence(
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


def review_evidence(
    case, *, operator, result: str, detail: str, inputs: dict | None = None
) -> Evidence:
    """An operator's review of the case: approved, rejected, or blocked (and why)."""
    return record_evidence(
        case,
        step="review",
        method="operator",
        provider="operator-review",
        result=result,
        detail=detail,
        operator=operator,
        inputs=inputs,
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
