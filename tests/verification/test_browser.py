"""End to end in Debian's chromium: a company registers and submits its verification, an operator
approves it in the console, and the official seal with the company's name appears, its
certificate verifying against the platform root."""

from __future__ import annotations

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding

from chop.accounts import outbox
from chop.accounts.models import User
from chop.seals.issuance import platform_ca
from chop.seals.models import Seal
from chop.verification.models import CompanyVerification, Evidence

from .conftest import LEGAL_REP_ID, USCC, png_bytes

PASSWORD = "Chop-e2e-pass-42"
COMPANY = "深圳示例有限公司"


def _validate_independently(cert_pem: str) -> list[str]:
    """pyHanko's certificate validator, the platform root as the only trust anchor."""
    import asyncio

    from pyhanko_certvalidator import CertificateValidator, ValidationContext

    ca = platform_ca()

    def der(c):
        return asn1_x509.Certificate.load(c.public_bytes(Encoding.DER))

    context = ValidationContext(
        trust_roots=[der(ca.root_certificate)],
        other_certs=[der(ca.issuing_certificate)],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    _, _, cert_der = pem.unarmor(cert_pem.encode())
    validator = CertificateValidator(
        asn1_x509.Certificate.load(cert_der), validation_context=context
    )
    # Playwright's loop runs on this thread, so validate on another one.
    from concurrent.futures import ThreadPoolExecutor

    usage = {"digital_signature", "non_repudiation"}
    with ThreadPoolExecutor(1) as pool:
        path = pool.submit(asyncio.run, validator.async_validate_usage(usage)).result()
    return [c.subject.human_friendly for c in path]


@pytest.mark.browser
def test_company_from_registration_to_active_official_seal(
    browser, browser_page, screenshot, tmp_path
):
    page = browser_page
    base = page.base_url
    licence = tmp_path / "licence.png"
    licence.write_bytes(png_bytes(1200, 850, "business licence"))
    letter = tmp_path / "letter.png"
    letter.write_bytes(png_bytes(850, 1200, "authorisation letter"))

    # 1. register with a phone number and the code from the outbox
    page.goto(f"{base}/accounts/register/")
    page.fill("#id_login", "13700137000")
    page.get_by_role("button", name="获取验证码").click()
    page.locator("#code-status.ok").wait_for()
    page.fill("#id_code", outbox.last_code("13700137000"))
    page.fill("#id_name", "张三")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="注册账号").click()
    page.wait_for_url(f"{base}/")

    # 2. create the company space
    page.goto(f"{base}/companies/new/")
    page.fill("#id_name", COMPANY)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"{base}/")
    screenshot(page, "workbench-new-company")

    # 3. submit the company verification with an authorisation letter
    page.goto(f"{base}/verify/company/")
    page.fill("#id_company_name", COMPANY)
    page.fill("#id_uscc", USCC)
    page.fill("#id_legal_rep_name", "张三")
    page.fill("#id_legal_rep_id", LEGAL_REP_ID)
    page.set_input_files("#id_licence", str(licence))
    page.check("input[name=method][value=letter]")
    with page.expect_download() as download:
        page.locator("button[formaction$='letter.pdf']").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.set_input_files("#id_letter", str(letter))
    screenshot(page, "company-form-filled")
    page.locator("#company-form button[type=submit]").last.click()
    page.locator("#case-status").wait_for()
    assert "待审核" in page.locator("#case-status").inner_text()
    screenshot(page, "company-submitted")
    case = CompanyVerification.objects.get(uscc=USCC)

    # 4. a platform operator approves it in the console
    User.objects.create_user("ops@chop.test", PASSWORD, name="审核员", is_staff=True)
    ops = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    op = ops.new_page()
    op.goto(f"{base}/accounts/login/")
    op.fill("#id_login", "ops@chop.test")
    op.fill("#id_password", PASSWORD)
    op.locator("#id_password").press("Enter")
    op.wait_for_url(f"{base}/")
    op.goto(f"{base}/operator/")
    assert COMPANY in op.locator("table").inner_text()
    screenshot(op, "operator-queue")
    op.locator(f"a[href='/operator/company/{case.pk}/']").click()
    op.locator("img[alt]").first.wait_for()
    assert (
        USCC in op.locator(".facts").inner_text()
        and LEGAL_REP_ID in op.locator(".facts").inner_text()
    )
    screenshot(op, "operator-case")
    op.locator("button[name=decision][value=approve]").click()
    op.wait_for_url(f"{base}/operator/")
    ops.close()

    case.refresh_from_db()
    assert case.state == "approved"
    review = Evidence.objects.get(case_type="company", case_id=case.pk, step="review")
    assert review.operator.login == "ops@chop.test" and review.inputs["licence"]

    # 5. the official seal with the company's name is on the Seals page, and its certificate verifies
    page.goto(f"{base}/seals/")
    card = page.locator(".seal-card").first
    card.locator("img").wait_for()
    assert page.evaluate("document.querySelector('.seal-card img').naturalWidth") > 300
    seal = Seal.objects.get(company__uscc=USCC, kind=Seal.Kind.OFFICIAL)
    assert seal.code in card.inner_text() and seal.status == "active"
    screenshot(page, "seals-page")
    card.click()
    page.locator("#chain-status .badge.ok").wait_for()
    screenshot(page, "seal-detail")
    path = _validate_independently(seal.certificate.pem)
    assert COMPANY in path[-1] and len(path) == 3

    # the seal image really is the company's round red seal
    import io

    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(seal.image.open("rb").read())).convert("RGBA"))
    ink = img[..., 3] > 128
    assert 0.08 < ink.mean() < 0.5
    red = img[ink][:, :3].astype(int)
    assert (red[:, 0] > 150).mean() > 0.95 and (red[:, 1] < 90).mean() > 0.9
