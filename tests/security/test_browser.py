"""In chromium: the pages work under the site-wide CSP without a single violation, and the error
pages look like the rest of the site on a desktop and a phone (issue 8, items 1 and 9)."""

from __future__ import annotations

import pytest

from chop.accounts.models import User
from chop.audit.events import record
from chop.orgs.models import Company, Membership, Role
from tests.conftest import session_cookie


@pytest.mark.browser
def test_pages_work_under_the_csp_without_violations(browser, live_server):
    base = live_server.url
    owner = User.objects.create_user(
        "13700137002", "Chop-e2e-pass-42", name="李四", is_staff=True, is_superuser=True
    )
    company = Company.objects.create(name="深圳示例有限公司", created_by=owner)
    Membership.objects.create(company=company, user=owner, role=Role.OWNER)
    record("company.created", actor=owner, company=company)
    record("member.invited", actor=owner, company=company)
    violations: list[str] = []
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.on(
        "console",
        lambda m: (
            violations.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
            else None
        ),
    )

    # anonymous pages with their scripts: the code button on registration runs accounts.js/htmx
    page.goto(f"{base}/accounts/register/")
    page.fill("#id_login", "13700137003")
    page.get_by_role("button", name="获取验证码").click()
    page.locator("#code-status.ok").wait_for()
    page.goto(f"{base}/accounts/login/")

    ctx.add_cookies([session_cookie(owner, base, company)])
    for path in (
        "/",
        "/seals/",
        "/members/",
        "/verify/company/",
        "/operator/",
        "/admin/",
        "/admin/accounts/user/",
    ):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
    # the space switcher (chop.js) and the records filter (data-autosubmit, formerly onchange)
    page.goto(f"{base}/")
    page.locator("details.switcher summary").click()
    assert page.locator("details.switcher[open]").count() == 1
    page.keyboard.press("Escape")
    assert page.locator("details.switcher[open]").count() == 0
    page.goto(f"{base}/records/")
    select = page.locator("#action-filter")
    value = select.locator("option").nth(1).get_attribute("value")
    select.select_option(value)
    page.wait_for_url(f"**/records/?action={value}*")
    ctx.close()
    assert not violations, violations


@pytest.mark.browser
def test_404_page_screenshots(browser, live_server, screenshot):
    base = live_server.url
    for width, height, label in ((1280, 800, "desktop"), (390, 844, "phone")):
        for locale, heading in (("zh-CN", "找不到这个页面"), ("en-US", "This page does not exist")):
            ctx = browser.new_context(locale=locale, viewport={"width": width, "height": height})
            page = ctx.new_page()
            response = page.goto(f"{base}/no-such-page/")
            assert response.status == 404
            assert page.locator("h1").inner_text() == heading
            # nothing sticks out sideways on a phone
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"404-{locale}-{label}")
            page.locator(".error-actions a.button").first.click()
            page.wait_for_url("**/accounts/login/**")
            ctx.close()
