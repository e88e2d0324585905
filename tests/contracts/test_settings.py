"""The contract limits and LibreOffice are declared settings, checked when the process starts;
a conversion that runs too long is stopped and refused."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.urls import reverse

from chop.contracts import convert
from chop.contracts.models import Contract

from .conftest import media_files, pdf_file


@override_settings(CHOP_MAX_UPLOAD_BYTES=10 * 1024 * 1024, CHOP_CONTRACT_MAX_BYTES=50 * 1024 * 1024)
def test_a_contract_limit_above_the_request_cap_fails_the_check():
    with pytest.raises(SystemCheckError, match=r"chop\.E020"):
        call_command("check")


@override_settings(CHOP_SOFFICE="/nonexistent/soffice")
def test_a_missing_configured_soffice_fails_the_check():
    with pytest.raises(SystemCheckError, match=r"chop\.E021"):
        call_command("check")


@override_settings(CHOP_CONTRACT_MAX_PAGES=0)
def test_a_page_limit_below_one_fails_the_check():
    with pytest.raises(SystemCheckError, match=r"CHOP_CONTRACT_MAX_PAGES"):
        call_command("check")


def test_the_request_cap_follows_the_contract_limit(settings):
    assert settings.CHOP_MAX_UPLOAD_BYTES >= settings.CHOP_CONTRACT_MAX_BYTES + 1024 * 1024


@pytest.mark.django_db
def test_a_conversion_that_takes_too_long_is_stopped_and_refused(acme, login, settings):
    if not convert.soffice():
        pytest.fail("LibreOffice is required: scripts/system-deps.sh test installs it")
    settings.CHOP_CONVERT_TIMEOUT_SECONDS = 0.05  # LibreOffice cannot even start in that time
    rtf = rb"{\rtf1\ansi Slow contract\par}"
    resp = login(acme["owner"], acme["company"]).post(
        reverse("contract_new"),
        {"title": "慢", "file": pdf_file(rtf, "慢.rtf")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 400 and "took too long" in resp.content.decode()
    assert Contract.objects.count() == 0 and media_files(settings.MEDIA_ROOT) == []
