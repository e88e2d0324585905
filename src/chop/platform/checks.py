"""Start-up checks of the platform's configuration (``chop check``, and every ``runserver``/
``migrate``): a misspelt sender or a provider without its URL is an error when the process
starts, not a 500 when the first person asks for a code or submits a verification.

The provider checks build each provider exactly as the running app does
(``chop.verification.providers.provider_config`` → ``chop.identity.provider_from_config``), so the
check and the app cannot disagree about what is valid.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register

SMS_SENDERS = ("console", "http")
EMAIL_SENDERS = ("console", "smtp")
POSITIVE_INTS = (
    "CHOP_OTP_TTL_SECONDS",
    "CHOP_OTP_MAX_ATTEMPTS",
    "CHOP_OTP_RESEND_SECONDS",
    "CHOP_OTP_DAILY_CAP_PER_TARGET_IP",
    "CHOP_OTP_DAILY_CAP_PER_TARGET",
    "CHOP_OTP_DAILY_CAP_PER_IP",
    "CHOP_LOGIN_FREE_FAILURES",
    "CHOP_LOGIN_DELAY_SECONDS",
    "CHOP_LOGIN_DELAY_MAX_SECONDS",
    "CHOP_LOGIN_FAILURES_PER_ACCOUNT_PER_DAY",
    "CHOP_LOGIN_FAILURES_PER_IP_PER_HOUR",
    "CHOP_VERIFY_CODE_PER_USER_PER_MINUTE",
    "CHOP_VERIFY_CODE_PER_IP_PER_MINUTE",
    "CHOP_PKI_PER_IP_PER_MINUTE",
    "CHOP_SEND_CODE_PER_IP_PER_MINUTE",
    "CHOP_CODE_LOGIN_PER_IP_PER_HOUR",
    "CHOP_INVITES_PER_TARGET_PER_DAY",
    "CHOP_INVITES_PER_COMPANY_PER_DAY",
    "CHOP_SIGNATURE_LINK_PER_IP_PER_MINUTE",
    "CHOP_MAX_UPLOAD_BYTES",
    "CHOP_CONTRACT_MAX_BYTES",
    "CHOP_CONTRACT_MAX_PAGES",
    "CHOP_CONVERT_TIMEOUT_SECONDS",
)


@register()
def check_senders(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    sms = settings.CHOP_SMS_SENDER
    if sms not in SMS_SENDERS:
        errors.append(
            Error(
                f"CHOP_SMS_SENDER is {sms!r}.",
                hint=f"Use one of: {', '.join(SMS_SENDERS)}.",
                id="chop.E001",
            )
        )
    elif sms == "http" and not settings.CHOP_SMS_HTTP_URL:
        errors.append(
            Error(
                "CHOP_SMS_SENDER is 'http' but CHOP_SMS_HTTP_URL is empty.",
                hint="Set CHOP_SMS_HTTP_URL to the SMS gateway's address.",
                id="chop.E002",
            )
        )
    email = settings.CHOP_EMAIL_SENDER
    if email not in EMAIL_SENDERS:
        errors.append(
            Error(
                f"CHOP_EMAIL_SENDER is {email!r}.",
                hint=f"Use one of: {', '.join(EMAIL_SENDERS)}.",
                id="chop.E003",
            )
        )
    return errors


@register()
def check_providers(app_configs=None, **kwargs) -> list[Error]:
    from chop.identity import ProviderConfigError, provider_from_config
    from chop.verification.providers import provider_config

    errors = []
    for kind in ("identity", "registry", "payment"):
        try:
            provider_from_config(kind, provider_config(kind))
        except ProviderConfigError as exc:
            errors.append(
                Error(
                    f"CHOP_{kind.upper()}_PROVIDER: {exc}.",
                    hint=f"Fix CHOP_{kind.upper()}_PROVIDER and its _URL/_TOKEN/_TIMEOUT/_RETRIES.",
                    id="chop.E004",
                )
            )
    return errors


@register()
def check_limits(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for name in POSITIVE_INTS:
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                Error(
                    f"{name} is {value!r}; it must be a whole number of at least 1.",
                    id="chop.E005",
                )
            )
    return errors


@register()
def check_contract_limits(app_configs=None, **kwargs) -> list[Error]:
    """A contract limit above the request cap could never be reached: the 413 comes first."""
    errors: list[Error] = []
    cap, contract = settings.CHOP_MAX_UPLOAD_BYTES, settings.CHOP_CONTRACT_MAX_BYTES
    if isinstance(cap, int) and isinstance(contract, int) and cap < contract:
        errors.append(
            Error(
                f"CHOP_MAX_UPLOAD_BYTES ({cap}) is below CHOP_CONTRACT_MAX_BYTES ({contract}).",
                hint="Raise CHOP_MAX_UPLOAD_BYTES to at least the contract limit plus 1 MB.",
                id="chop.E020",
            )
        )
    soffice = settings.CHOP_SOFFICE
    if soffice and not Path(soffice).is_file():
        errors.append(
            Error(
                f"CHOP_SOFFICE is {soffice!r}, which is not a file.",
                hint="Point it at LibreOffice's soffice, or leave it empty to look on PATH.",
                id="chop.E021",
            )
        )
    return errors
