"""The seal page shows its certificate as labelled fields in the active language (issue 9 §8:
raw ``CN=…,2.5.4.5=…`` subjects and English pyHanko chains appeared in the Chinese UI)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from chop.seals.models import Certificate, Seal
from chop.verification.models import CompanyVerification
from tests.conftest import log_in

from .conftest import USCC
from .test_flows import decide, post_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def official_seal(in_company, company, applicant, operator):
    post_company(in_company)
    decide(in_company, operator, "company", CompanyVerification.objects.get(company=company))
    log_in(in_company, applicant, company)
    return Seal.objects.get(company=company, kind=Seal.Kind.OFFICIAL)


def _facts(html: str) -> dict[str, str]:
    block = html.split('data-testid="certificate"', 1)[1].split("</dl>", 1)[0]
    pairs = re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", block, re.S)
    return {dt: re.sub(r"<[^>]+>", " ", dd).split() for dt, dd in pairs}


def test_certificate_fields_are_labelled_in_chinese(in_company, official_seal):
    html = in_company.get(reverse("seal_detail", args=[official_seal.pk])).content.decode()
    assert "CN=" not in html and "2.5.4" not in html and "Common Name" not in html
    facts = _facts(html)
    assert facts["名称"] == ["深圳示例有限公司"]
    assert facts["统一社会信用代码"] == [USCC]
    assert facts["证书序列号"] == [official_seal.certificate.serial_hex]
    assert facts["颁发者"] and not re.search(r"[=,]", " ".join(facts["颁发者"]))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d", " ".join(facts["有效期"]))
    chain = re.findall(r"<li>(.*?)</li>", html.split('id="chain-status"', 1)[1].split("</dd>")[0])
    assert len(chain) >= 2 and chain[-1] == "深圳示例有限公司"  # root … → holder
    assert chain[0] != chain[-1] and "=" not in "".join(chain)
    assert "已通过平台根证书验证" in html or "平台根" in html


def test_a_failing_chain_says_why_in_chinese(in_company, official_seal):
    other = Certificate.objects.get(pk=official_seal.certificate_id)
    # a certificate no platform CA issued: the seal's own PEM with a byte of the signature flipped
    body = other.pem.strip().splitlines()
    middle = body[-2]
    body[-2] = middle[:-6] + ("A" if middle[-6] != "A" else "B") + middle[-5:]
    other.pem = "\n".join(body) + "\n"
    other.save(update_fields=["pem"])
    html = in_company.get(reverse("seal_detail", args=[official_seal.pk])).content.decode()
    status = html.split('id="chain-status"', 1)[1].split("</dd>")[0]
    assert "无法通过验证" in status or "未通过" in status or "不" in status
    assert not re.search(r"[A-Za-z]{4,}", re.sub(r"<[^>]+>", "", status)), status


def test_certificate_labels_are_english_on_request(in_company, official_seal):
    in_company.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    facts = _facts(in_company.get(reverse("seal_detail", args=[official_seal.pk])).content.decode())
    assert facts["Unified social credit code"] == [USCC] and "Issuer" in facts


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_seal_page_screenshots(browser_page, screenshot, in_company, official_seal, applicant):
    from .test_pages_browser import fits_a_phone, sign_in

    page = browser_page
    sign_in(page, applicant, official_seal.company)
    page.goto(f"{page.base_url}/seals/{official_seal.pk}/")
    assert page.locator("ol.chain li").count() >= 2
    assert fits_a_phone(page, screenshot, "seal-detail") <= 390
