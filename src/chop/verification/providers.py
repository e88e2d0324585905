"""The configured identity, registry and payment providers, and one answer shape for all three.

Settings (environment): ``CHOP_IDENTITY_PROVIDER``, ``CHOP_REGISTRY_PROVIDER`` and
``CHOP_PAYMENT_PROVIDER`` are ``review`` (the default: a platform operator decides; for payments
the console provider that records and prints the amount) or ``http`` with ``*_URL``, ``*_TOKEN``,
``*_TIMEOUT`` and ``*_RETRIES``. Any provider failure becomes ``ERROR`` with the reason: never a yes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

VERIFIED = "verified"
REFUSED = "refused"
NEEDS_REVIEW = "needs_review"
ERROR = "error"
SENT = "sent"


@dataclass
class ProviderAnswer:
    """What a provider answered, flattened for the services and the evidence: a status (the
    constants above), who answered, why, and the payment's reference. (Not chop.identity's
    ``Outcome``, which is only the status.)"""

    status: str
    provider: str
    detail: str = ""
    amount_fen: int | None = None
    reference: str = ""


def _config(kind: str) -> dict:
    prefix = f"CHOP_{kind.upper()}_PROVIDER"
    backend = getattr(settings, prefix, "review") or "review"
    config = {"backend": backend}
    if backend != "http":
        return config
    for key in ("URL", "TOKEN", "TIMEOUT", "RETRIES"):
        value = getattr(settings, f"{prefix}_{key}", None)
        if value not in (None, ""):
            config[key.lower()] = value
    return config


def _build(kind: str):
    from chop.identity import provider_from_config

    config = _config(kind)
    if kind == "payment" and config["backend"] == "review":
        config = {"backend": "console", "outbox": str(settings.CHOP_OUTBOX)}
    return provider_from_config(kind, config)


def identity():
    return _build("identity")


def registry():
    return _build("registry")


def payment():
    return _build("payment")


def _answer(result) -> ProviderAnswer:
    detail = result.message if (result.message_zh or result.message_en) else ""
    if getattr(result, "review", ()):
        detail = (detail + " " + "; ".join(f"{i.zh} / {i.en}" for i in result.review)).strip()
    return ProviderAnswer(
        status=result.status.value,
        provider=result.provider,
        detail=detail,
        reference=result.reference or "",
    )


def check_person(provider, *, name: str, id_number: str, phone: str) -> ProviderAnswer:
    from chop.identity import PersonClaim

    return _answer(provider.verify_person(PersonClaim(name, id_number, phone)))


def check_company(provider, *, name: str, uscc: str, legal_rep_name: str) -> ProviderAnswer:
    from chop.identity import CompanyClaim

    return _answer(provider.verify_company(CompanyClaim(name, uscc, legal_rep_name)))


def send_deposit(
    provider, *, request_id: str, account_name: str, bank: str, account: str, amount_fen: int
) -> ProviderAnswer:
    from chop.identity import TransferRequest

    result = provider.send_micro_deposit(
        TransferRequest(
            request_id=request_id,
            account_name=account_name,
            account_number=account,
            amount_fen=amount_fen,
            bank_name=bank or None,
        )
    )
    answer = _answer(result)
    if getattr(result, "simulated", False):
        answer.detail = ("[simulated] " + answer.detail).strip()
    return answer
