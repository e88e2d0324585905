"""The configured identity, registry and payment providers, and one answer shape for all three.

Settings (environment): ``CHOP_IDENTITY_PROVIDER``, ``CHOP_REGISTRY_PROVIDER`` and
``CHOP_PAYMENT_PROVIDER`` are ``review`` (the default: a platform operator decides; for payments
the console provider that records and prints the amount) or ``http`` with ``*_URL``, ``*_TOKEN``,
``*_TIMEOUT`` and ``*_RETRIES`` (declared once, with their defaults, in settings.py; checked at
start-up by ``chop.platform.checks``). Any provider failure becomes ``ERROR`` with the reason:
never a yes.

Providers are built once per configuration and reused (an HTTP provider keeps its connection
pool); a test that overrides the settings gets a provider for its own configuration, and
:func:`reset` (also run on every ``setting_changed``) drops them all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

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
    backend = getattr(settings, prefix) or "review"
    config = {"backend": backend}
    if backend != "http":
        return config
    for key in ("URL", "TOKEN", "TIMEOUT", "RETRIES"):
        value = getattr(settings, f"{prefix}_{key}")
        if value not in (None, ""):
            config[key.lower()] = value
    return config


def provider_config(kind: str) -> dict:
    """The ``chop.identity.provider_from_config`` description of the configured ``kind``."""
    config = _config(kind)
    if kind == "payment" and config["backend"] == "review":
        config = {"backend": "console", "outbox": str(settings.CHOP_OUTBOX)}
    return config


_built: dict[tuple, object] = {}
_lock = threading.Lock()


def _build(kind: str):
    from chop.identity import provider_from_config

    config = provider_config(kind)
    key = (kind, tuple(sorted((k, str(v)) for k, v in config.items())))
    with _lock:
        provider = _built.get(key)
        if provider is None:
            provider = _built[key] = provider_from_config(kind, config)
    return provider


def reset() -> None:
    """Forget the built providers (the next call builds them from the current settings)."""
    with _lock:
        _built.clear()


@receiver(setting_changed)
def _reset_on_setting_changed(*, setting: str, **kwargs) -> None:
    if (setting.startswith("CHOP_") and "PROVIDER" in setting) or setting == "CHOP_OUTBOX":
        reset()


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
