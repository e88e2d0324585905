"""Settings declared once and checked at start-up (issue 9 §3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

import chop
from chop.verification import providers

SRC = Path(chop.__file__).parent


def check_fails_with(pattern: str) -> None:
    with pytest.raises(SystemCheckError, match=pattern):
        call_command("check")


def test_the_default_configuration_passes():
    call_command("check")


@override_settings(CHOP_IDENTITY_PROVIDER="http", CHOP_IDENTITY_PROVIDER_URL="")
def test_http_identity_provider_without_url_fails():
    check_fails_with(r"chop\.E004.*CHOP_IDENTITY_PROVIDER.*needs a url")


@override_settings(CHOP_PAYMENT_PROVIDER="wire")
def test_unknown_payment_backend_fails():
    check_fails_with(r"chop\.E004.*CHOP_PAYMENT_PROVIDER")


@override_settings(CHOP_SMS_SENDER="bogus")
def test_unknown_sms_sender_fails():
    check_fails_with(r"chop\.E001.*CHOP_SMS_SENDER is 'bogus'")


@override_settings(CHOP_SMS_SENDER="http", CHOP_SMS_HTTP_URL="")
def test_http_sms_sender_without_url_fails():
    check_fails_with(r"chop\.E002")


@override_settings(CHOP_EMAIL_SENDER="pigeon")
def test_unknown_email_sender_fails():
    check_fails_with(r"chop\.E003")


@override_settings(CHOP_OTP_TTL_SECONDS=0)
def test_a_limit_below_one_fails():
    check_fails_with(r"chop\.E005.*CHOP_OTP_TTL_SECONDS")


def test_every_chop_setting_the_apps_read_is_declared_once_in_settings():
    """Code reads ``settings.CHOP_X`` plainly: a ``getattr(settings, X, default)`` would be a
    second default, and a setting missing from settings.py would exist only in code."""
    read: set[str] = set()
    for path in SRC.rglob("*.py"):
        if path.name == "settings.py" or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"getattr\(\s*settings,\s*[^)]*,", text), f"default in {path}"
        read |= set(re.findall(r"settings\.(CHOP_[A-Z0-9_]+)", text))
        read |= set(re.findall(r'getattr\(\s*settings,\s*"(CHOP_[A-Z0-9_]+)"', text))
    missing = sorted(name for name in read if not hasattr(settings, name))
    assert read and not missing, missing


def test_the_sms_sign_name_has_one_default():
    from chop.accounts.senders import sms_sender

    with override_settings(CHOP_SMS_SENDER="http", CHOP_SMS_HTTP_URL="http://127.0.0.1:9/"):
        assert sms_sender().sign_name == settings.CHOP_SMS_HTTP_SIGN_NAME == "Chop"


def test_providers_are_built_once_per_configuration():
    providers.reset()
    first = providers.identity()
    assert providers.identity() is first
    assert providers.payment() is providers.payment()
    with override_settings(
        CHOP_IDENTITY_PROVIDER="http",
        CHOP_IDENTITY_PROVIDER_URL="http://127.0.0.1:9/id",
        CHOP_IDENTITY_PROVIDER_TOKEN="t",
    ):
        http = providers.identity()
        assert http is not first and http is providers.identity()
        assert http.__class__.__name__.startswith("Http")
    assert providers.identity() is not http
    assert type(providers.identity()) is type(first)
