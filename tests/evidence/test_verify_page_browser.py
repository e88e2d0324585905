"""The public verification page in Debian's chromium, on a desktop and a 390 px phone (zh-Hans),
without logging in: a contract signed on Chop is reported valid and trusted with its provenance,
a tampered copy is called out, a PDF signed elsewhere is valid but not trusted, and a file that is
not a PDF gets a clear error. Screenshots go to test-artifacts/ (and to CHOP_SHOTS when set)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chop.evidence.models import VerificationCode
from tests.contracts.signing_support import signing_world  # noqa: F401
from tests.seals.conftest import verified_company  # noqa: F401

from . import verify_support as vs

SIZES = {"desktop": (1280, 860), "phone": (390, 844)}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the screen"


def _shoot(page, screenshot, name: str) -> None:
    screenshot(page, name)
    shots = os.environ.get("CHOP_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)


def _upload(page, path: Path) -> None:
    page.get_by_test_id("verify-form").locator('input[type="file"]').set_input_files(str(path))
    page.get_by_test_id("verify-submit").click()
    page.wait_for_load_state("domcontentloaded")


@pytest.fixture
def files(request, tmp_path):
    """The PDFs, made before the browser opens: pyHanko signs with ``asyncio.run``, which must
    not find Playwright's loop running on this thread."""
    w = request.getfixturevalue("signing_world")
    contract, signed = vs.chop_signed(w, tmp_path)
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(vs.tampered(signed.read_bytes()))
    foreign = tmp_path / "elsewhere.pdf"
    foreign.write_bytes(vs.foreign_signed())
    junk = tmp_path / "notes.pdf"
    junk.write_bytes(b"just some text, not a PDF\n" * 20)
    return w, contract, signed, tampered, foreign, junk


@pytest.mark.parametrize("size", list(SIZES))
def test_a_visitor_checks_a_signed_pdf_and_a_tampered_copy(
    files, browser, live_server, screenshot, settings, size
):
    settings.CHOP_VERIFY_PDF_PER_IP = 100
    w, contract, signed, tampered, foreign, junk = files
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/verify-pdf/")  # no session: a visitor
        assert page.get_by_role("heading", level=1).inner_text().startswith("验签")
        _no_sideways_scroll(page)
        _shoot(page, screenshot, f"verify-empty-{size}")

        _upload(page, signed)
        result = page.get_by_test_id("verify-result")
        assert result.get_attribute("data-verdict") == "valid"
        assert "有效：所有签名完整、有效且可信" in result.inner_text()
        assert page.get_by_test_id("verify-signature").count() == 2
        assert page.get_by_test_id("sig-provenance").count() == 2
        seal = w["a"].seals.filter(kind="official").first()
        assert seal.code in page.get_by_test_id("sig-provenance").first.inner_text()
        assert "第 3 版" in page.get_by_test_id("verify-known").inner_text()
        assert contract.title not in page.content()
        _no_sideways_scroll(page)
        _shoot(page, screenshot, f"verify-valid-{size}")

        _upload(page, tampered)
        result = page.get_by_test_id("verify-result")
        assert result.get_attribute("data-verdict") == "invalid"
        assert "无效" in result.inner_text()
        first = page.get_by_test_id("verify-signature").first
        assert "不完整" in first.get_by_test_id("check-intact").inner_text()
        assert "签名覆盖的字节范围内被改动" in first.get_by_test_id("sig-problems").inner_text()
        assert page.get_by_test_id("verify-known").count() == 0
        _no_sideways_scroll(page)
        _shoot(page, screenshot, f"verify-tampered-{size}")

        _upload(page, foreign)
        result = page.get_by_test_id("verify-result")
        assert result.get_attribute("data-verdict") == "valid-untrusted"
        assert page.get_by_test_id("sig-no-provenance").count() == 1
        assert "Elsewhere Signer" in page.get_by_test_id("sig-signer").inner_text()
        _no_sideways_scroll(page)
        _shoot(page, screenshot, f"verify-foreign-{size}")

        _upload(page, junk)
        assert "不是 PDF" in page.get_by_test_id("verify-error").inner_text()
        assert page.get_by_test_id("verify-result").count() == 0
        _no_sideways_scroll(page)
        _shoot(page, screenshot, f"verify-error-{size}")

        # the evidence report's QR code opens the page with the contract's code
        code = VerificationCode.for_contract(contract).code
        page.goto(f"{live_server.url}/verify-pdf/?code={code}")
        assert contract.title in page.get_by_test_id("code-contract").inner_text()
        _shoot(page, screenshot, f"verify-code-{size}")
        _upload(page, signed)
        assert page.get_by_test_id("verify-result").get_attribute("data-verdict") == "valid"
        assert page.get_by_test_id("evidence-link").get_attribute("href") == f"/evidence/{code}/"
        _no_sideways_scroll(page)
        _shoot(page, screenshot, f"verify-code-valid-{size}")
    finally:
        context.close()
