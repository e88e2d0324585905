"""Identity, registry and payment providers, and :func:`provider_from_config` to build them.

The Django app builds its providers once from settings::

    provider_from_config("identity", {"backend": "review"})
    provider_from_config("registry", {"backend": "http", "url": "https://adapter.example/registry",
                                      "token": "…", "timeout": 5, "retries": 2})
    provider_from_config("payment", {"backend": "console", "outbox": "var/outbox.jsonl"})

Backends: ``identity`` and ``registry``: ``review`` (default) or ``http``; ``payment``:
``console`` (default, simulated), ``manual`` (an operator transfers by hand) or ``http``.

HTTP options: ``url`` (required), ``auth`` (``bearer`` when a ``token`` is given, ``hmac`` when a
``secret`` is given, or ``none``), ``token``, ``key_id``, ``secret``, ``timeout`` (seconds, default
5), ``retries`` (default 2), ``backoff`` (seconds, default 0.5), ``name`` (recorded as the provider
in evidence, default ``http``), ``allow_http`` (default false). Unknown keys are an error, so a
misspelt ``timout`` fails at start-up instead of silently using the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, overload

from .base import (
    CompanyClaim,
    IdentityProvider,
    Outcome,
    PaymentProvider,
    PersonClaim,
    Provider,
    ProviderConfigError,
    RegistryProvider,
    ReviewItem,
    TransferRequest,
    TransferResult,
    TransferStatus,
    VerificationResult,
)
from .http import HttpIdentityProvider, HttpPaymentProvider, HttpRegistryProvider, HttpSettings
from .review import (
    ConsolePaymentProvider,
    ManualPaymentProvider,
    ReviewIdentityProvider,
    ReviewRegistryProvider,
)

__all__ = [
    "CompanyClaim",
    "ConsolePaymentProvider",
    "HttpIdentityProvider",
    "HttpPaymentProvider",
    "HttpRegistryProvider",
    "HttpSettings",
    "IdentityProvider",
    "ManualPaymentProvider",
    "Outcome",
    "PaymentProvider",
    "PersonClaim",
    "Provider",
    "ProviderConfigError",
    "RegistryProvider",
    "ReviewIdentityProvider",
    "ReviewItem",
    "ReviewRegistryProvider",
    "TransferRequest",
    "TransferResult",
    "TransferStatus",
    "VerificationResult",
    "provider_from_config",
]

Kind = Literal["identity", "registry", "payment"]

DEFAULT_BACKEND: dict[str, str] = {"identity": "review", "registry": "review", "payment": "console"}
HTTP_KEYS = {
    "url",
    "auth",
    "token",
    "key_id",
    "secret",
    "timeout",
    "retries",
    "backoff",
    "name",
    "allow_http",
}
HTTP_CLASSES: dict[str, type[Provider]] = {
    "identity": HttpIdentityProvider,
    "registry": HttpRegistryProvider,
    "payment": HttpPaymentProvider,
}


def _only(kind: str, backend: str, config: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(config) - allowed - {"backend"})
    if unknown:
        raise ProviderConfigError(
            f"{kind} provider '{backend}': unknown option(s) {', '.join(unknown)}"
        )


def _number(config: Mapping[str, Any], key: str, default: float, kind: type) -> Any:
    value = config.get(key, default)
    if isinstance(value, bool):
        raise ProviderConfigError(f"{key} must be a number")
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ProviderConfigError(f"{key} must be a number, got {value!r}") from None
    if kind is int and number != float(value):
        raise ProviderConfigError(f"{key} must be a whole number, got {value!r}")
    return number


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
        "",
    }:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    raise ProviderConfigError(f"expected a boolean, got {value!r}")


def http_settings_from_config(config: Mapping[str, Any]) -> HttpSettings:
    """Validated :class:`HttpSettings`; strings from environment variables are converted."""
    url = config.get("url")
    if not isinstance(url, str) or not url:
        raise ProviderConfigError("backend 'http' needs a url")
    token = config.get("token") or None
    secret = config.get("secret") or None
    auth = config.get("auth") or ("hmac" if secret else "bearer" if token else "")
    if not auth:
        raise ProviderConfigError(
            "backend 'http' needs a token, a key_id and secret, or auth 'none'"
        )
    return HttpSettings(
        url=url,
        auth=str(auth),
        token=token,
        key_id=config.get("key_id") or None,
        secret=secret,
        timeout=_number(config, "timeout", 5.0, float),
        retries=_number(config, "retries", 2, int),
        backoff=_number(config, "backoff", 0.5, float),
        name=str(config.get("name") or "http"),
        allow_http=_flag(config.get("allow_http", False)),
    )


@overload
def provider_from_config(
    kind: Literal["identity"], config: Mapping[str, Any]
) -> IdentityProvider: ...
@overload
def provider_from_config(
    kind: Literal["registry"], config: Mapping[str, Any]
) -> RegistryProvider: ...
@overload
def provider_from_config(
    kind: Literal["payment"], config: Mapping[str, Any]
) -> PaymentProvider: ...
def provider_from_config(kind: str, config: Mapping[str, Any] | None) -> Provider:
    """Build the provider of ``kind`` described by ``config`` (see the module docstring).

    Raises :class:`ProviderConfigError` for an unknown kind or backend, missing or unknown
    options, or unsafe settings (plain http to a non-loopback host without ``allow_http``).
    """
    if kind not in DEFAULT_BACKEND:
        raise ProviderConfigError(f"unknown provider kind {kind!r}: identity, registry or payment")
    config = dict(config or {})
    backend = str(config.get("backend") or DEFAULT_BACKEND[kind]).strip().lower()
    if backend == "http":
        _only(kind, backend, config, HTTP_KEYS)
        settings = http_settings_from_config(config)
        return HTTP_CLASSES[kind](settings)  # type: ignore[call-arg]
    if kind == "identity" and backend == "review":
        _only(kind, backend, config, set())
        return ReviewIdentityProvider()
    if kind == "registry" and backend == "review":
        _only(kind, backend, config, set())
        return ReviewRegistryProvider()
    if kind == "payment" and backend == "console":
        _only(kind, backend, config, {"outbox"})
        return ConsolePaymentProvider(outbox=config.get("outbox") or None)
    if kind == "payment" and backend == "manual":
        _only(kind, backend, config, set())
        return ManualPaymentProvider()
    choices = "http, console or manual" if kind == "payment" else "http or review"
    raise ProviderConfigError(f"unknown {kind} backend {backend!r}: use {choices}")
