"""The legal representative confirms their seal in Debian's chromium, on a desktop and a phone.

The company is verified and the representative is a verified member; the seal waits for them.
They open the page from the notice, ask for a code, type it, and the seal appears on the Seals
page. Screenshots of each step at 1280 px and 390 px."""

from __future__ import annotations

import pytest

from chop.accounts import outbox
from chop.accounts.models import User
from chop.seals.models import Certificate, Seal
from tests.conftest import session_cookie

from .test_consent import REP_PHONE, _member_rep_in_verified_company


@pytest.fixture
def rep(db):
    return User.objects.create_user(REP_PHONE, "s3cret-pass-7")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_representative_confirms_with_a_code_and_the_seal_appears(
    browser, live_server, client, rep, operator, screenshot, device
):
    company = _member_rep_in_verified_company(client, rep, operator)
    base = live_server.url
    size = {"desktop": (1280, 860), "phone": (390, 844)}[device]
    ctx = browser.new_context(
        locale="zh-CN",
        viewport={"width": size[0], "height": size[1]},
        is_mobile=device == "phone",
        has_touch=device == "phone",
    )
    ctx.set_default_timeout(15_000)
    ctx.add_cookies([session_cookie(rep, base, company)])
    page = ctx.new_page()
    try:
        page.goto(base + "/seals/")
        notice = page.locator("#legal-rep-notice")
        assert notice.is_visible() and "法定代表人章" in notice.inner_text()
        screenshot(page, f"seals-waiting-{device}")
        page.goto(base + "/verify/company/legal-rep/")
        screenshot(page, f"consent-page-{device}")
        with page.expect_navigation():  # the code is sent by a form post and a redirect
            page.get_by_role("button", name="获取验证码").click()
        page.fill("input[name=code]", outbox.last_code(REP_PHONE))
        screenshot(page, f"consent-code-{device}")
        page.get_by_role("button", name="确认并签发我的印章").click()
        page.wait_for_url(base + "/seals/")
        assert page.get_by_text("法定代表人章").first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        screenshot(page, f"seals-issued-{device}")
    finally:
        ctx.close()
    seal = Seal.objects.get(company=company, kind=Seal.Kind.LEGAL_REP)
    assert seal.owner == rep and seal.status == Seal.Status.ACTIVE
    assert Certificate.objects.filter(user=rep).count() == 1
