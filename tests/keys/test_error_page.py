"""The DEBUG error page must not show the KEK, tokens or passwords (issue 8, item 7)."""

from __future__ import annotations

import secrets
import sys

from django.test import RequestFactory
from django.views.debug import technical_500_response

# Random values: the page shows source lines around each frame, so literals would appear there.
KEK = secrets.token_hex(12)
SMS_TOKEN = secrets.token_hex(12)
PROVIDER_TOKEN = secrets.token_hex(12)
DB_PASSWORD = secrets.token_hex(12)
MAIL_PASSWORD = secrets.token_hex(12)


def _crash_with_secrets_in_locals():
    kek = KEK.encode()  # noqa: F841 - a local the error page would otherwise print
    url = f"postgres://chop:{DB_PASSWORD}@db.internal:5432/chop"  # noqa: F841
    raise RuntimeError("boom")


def test_debug_error_page_hides_keys_tokens_and_passwords(settings):
    settings.DEBUG = True
    settings.CHOP_KEK = KEK
    settings.CHOP_SMS_HTTP_TOKEN = SMS_TOKEN
    settings.CHOP_IDENTITY_PROVIDER_TOKEN = PROVIDER_TOKEN
    settings.CHOP_PAYMENT_PROVIDER_TOKEN = PROVIDER_TOKEN
    settings.EMAIL_HOST_PASSWORD = MAIL_PASSWORD
    settings.CHOP_SMS_HTTP_URL = f"https://chop:{SMS_TOKEN}@sms.example/send"
    # runserver copies the process environment into request.META.
    request = RequestFactory().get(
        "/boom/",
        CHOP_KEK=KEK,
        DATABASE_URL=f"postgres://chop:{DB_PASSWORD}@db.internal:5432/chop",
        EMAIL_URL=f"smtp+tls://mailer:{MAIL_PASSWORD}@smtp.example:587",
        CHOP_SMS_HTTP_TOKEN=SMS_TOKEN,
    )
    try:
        _crash_with_secrets_in_locals()
    except RuntimeError:
        html = technical_500_response(request, *sys.exc_info()).content.decode()
    assert "RuntimeError" in html and "boom" in html  # the page did render the crash
    assert "CHOP_KEK" in html  # the name shows, so the operator knows it is set
    for secret in (KEK, SMS_TOKEN, PROVIDER_TOKEN, DB_PASSWORD, MAIL_PASSWORD):
        assert secret not in html, secret
