# ruff: noqa: F811  (pytest fixtures imported for use by name)
"""In a browser: the contract page's evidence block asks for a report, the reports page follows
it until it is ready and downloads it, and the public summary opens with the verification code;
in Chinese, on a desktop and a 390 px phone."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import session_cookie
from tests.contracts.signing_support import signing_world  # noqa: F401
from tests.seals.conftest import verified_company  # noqa: F401

from .report_support import completed  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/wt/shots/report")


def _keep(path: Path, name: str) -> None:
    """Also keep the screenshot where the reviewer looks, when that folder exists."""
    if SHOTS.is_dir():
        shutil.copyfile(path, SHOTS / f"{name}.png")


def test_ask_follow_download_and_open_the_summary(completed, browser, live_server, screenshot):
    from chop.evidence.models import EvidenceReport, VerificationCode

    w, contract = completed
    base = live_server.url
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(30_000)
    ctx.add_cookies([session_cookie(w["a_owner"], base, w["a"])])
    page = ctx.new_page()
    page.goto(f"{base}/contracts/{contract.pk}/")
    block = page.get_by_test_id("evidence-block")
    code = VerificationCode.for_contract(contract).code
    assert block.get_by_test_id("verification-code").inner_text() == code
    block.scroll_into_view_if_needed()
    _keep(screenshot(page, "contract-block"), "contract-block-desktop")

    block.get_by_test_id("evidence-request").click()
    row = page.get_by_test_id("evidence-report").first
    row.get_by_test_id("evidence-download").wait_for()
    assert row.get_attribute("data-state") == "ready"
    _keep(screenshot(page, "reports"), "reports-desktop")
    report = EvidenceReport.objects.get(contract=contract)
    with page.expect_download() as info:
        row.get_by_test_id("evidence-download").click()
    body = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(body).hexdigest() == report.sha256

    page.goto(f"{base}/evidence/{code}/")
    assert page.get_by_test_id("summary-title").inner_text() == contract.title
    assert page.get_by_test_id("summary-report-sha256").inner_text() == report.sha256
    _keep(screenshot(page, "summary"), "summary-desktop")
    ctx.close()

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    phone.add_cookies([session_cookie(w["a_owner"], base, w["a"])])
    p = phone.new_page()
    for url, name in (
        (f"{base}/contracts/{contract.pk}/", "contract-block"),
        (f"{base}/contracts/{contract.pk}/evidence/", "reports"),
        (f"{base}/evidence/{code}/", "summary"),
    ):
        p.goto(url)
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} scrolls sideways on a phone ({width} px)"
        if name == "contract-block":
            p.get_by_test_id("evidence-block").scroll_into_view_if_needed()
        _keep(screenshot(p, f"{name}-phone"), f"{name}-phone")
    phone.close()
