"""End to end in Debian's chromium: create a company, invite a member by phone, the member accepts.

Screenshots of every company page, in Chinese and English, at desktop and phone (390×844) width,
go to test-artifacts/. Sign-in is done by handing the browser a session cookie from
``Client.force_login``; the accounts tests cover the login and register pages themselves.
"""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings

from chop.accounts.models import User
from chop.audit.models import AuditEvent
from chop.orgs.models import Company, Invitation, Membership, Role
from tests.conftest import session_cookie

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
PASSWORD = "secret-pass-123"


def both_widths(page, screenshot, name: str) -> None:
    """Screenshot at desktop width, then at phone width, and check nothing overflows sideways."""
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{name}: the page is {overflow}px wider than a phone screen"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def outbox_lines() -> list[dict]:
    path = settings.CHOP_OUTBOX
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_create_company_invite_by_phone_member_accepts(browser, browser_page, screenshot):
    page = browser_page
    base = page.base_url
    owner = User.objects.create_user("13800000001", PASSWORD, name="张伟")
    lina = User.objects.create_user("13800000002", PASSWORD, name="李娜")

    # --- the owner: personal space, then a new company -----------------------------------------
    page.context.add_cookies([session_cookie(owner, base)])
    page.goto(f"{base}/")
    assert page.locator("h1").inner_text() == "您好，张伟"
    assert page.locator(".space-name").inner_text() == "张伟"
    both_widths(page, screenshot, "workbench-personal-zh")

    page.get_by_role("link", name="+ 创建企业").first.click()
    page.wait_for_url(f"{base}/companies/new/")
    both_widths(page, screenshot, "company-create-zh")
    page.fill("#id_name", "上海示例科技有限公司")
    page.get_by_role("button", name="创建企业").click()
    page.wait_for_url(f"{base}/")
    assert page.locator("h1").inner_text() == "上海示例科技有限公司"
    assert "未认证" in page.locator(".head-badges").inner_text()
    assert page.locator(".space-name").inner_text() == "上海示例科技有限公司"
    company = Company.objects.get(name="上海示例科技有限公司")
    assert company.memberships.get().role == Role.OWNER
    both_widths(page, screenshot, "workbench-company-zh")

    # the space switcher is a dropdown of spaces; a click elsewhere closes it
    page.locator(".switcher summary").click()
    assert page.locator(".menu-item", has_text="个人空间").is_visible()
    screenshot(page, "switcher-open-zh")
    page.locator("h1").click()
    assert not page.locator(".menu-item", has_text="个人空间").is_visible()

    page.get_by_role("link", name="去认证").click()
    page.wait_for_url(f"{base}/verify/company/")  # the verification pages take over
    page.goto(f"{base}/")

    # --- invite 李娜 by phone as a seal user -------------------------------------------------------
    page.locator(".mainnav").get_by_role("link", name="成员").click()
    page.wait_for_url(f"{base}/companies/{company.pk}/members/")
    page.fill("#id_target", "138 0000 0002")
    page.select_option("#id_role", Role.SEAL_USER)
    page.get_by_role("button", name="发送邀请").click()
    assert "已向 13800000002 发送邀请" in page.locator(".messages").inner_text()
    assert "13800000002" in page.locator("[data-testid=invitations-table]").inner_text()
    both_widths(page, screenshot, "members-zh")
    [sms] = [m for m in outbox_lines() if m["to"] == "13800000002"]
    assert sms["channel"] == "sms"
    link = re.search(r"https?://\S+/invite/[\w-]+/", sms["body"]).group(0)
    token_path = link.split("://", 1)[1].split("/", 1)[1]

    # --- 李娜, on her phone, accepts from her workbench -------------------------------------------
    ctx = browser.new_context(locale="zh-CN", viewport=PHONE)
    ctx.set_default_timeout(15_000)
    lp = ctx.new_page()
    ctx.add_cookies([session_cookie(lina, base)])
    lp.goto(f"{base}/{token_path}")
    assert "上海示例科技有限公司" in lp.locator(".lead").inner_text()
    screenshot(lp, "invitation-link-phone-zh")
    lp.goto(f"{base}/")
    invitations = lp.locator("[data-testid=my-invitations]")
    assert "上海示例科技有限公司" in invitations.inner_text()
    screenshot(lp, "invitee-workbench-phone-zh")
    invitations.get_by_role("button", name="接受").click()
    lp.wait_for_url(f"{base}/")
    assert lp.locator("h1").inner_text() == "上海示例科技有限公司"
    assert "欢迎加入" in lp.locator(".messages").inner_text()
    screenshot(lp, "invitee-joined-phone-zh")
    assert Membership.objects.get(company=company, user=lina).role == Role.SEAL_USER
    assert Invitation.objects.get().status == "accepted"
    lp.locator(".mainnav").get_by_role("link", name="成员").click()
    assert "李娜" in lp.locator("[data-testid=members-table]").inner_text()
    screenshot(lp, "invitee-members-phone-zh")
    ctx.close()

    # --- the owner sees 李娜 and the records --------------------------------------------------------
    page.reload()
    assert "李娜" in page.locator("[data-testid=members-table]").inner_text()
    both_widths(page, screenshot, "members-after-accept-zh")
    page.locator(".mainnav").get_by_role("link", name="用印记录").click()
    # the menu opens the stamping records; account events are the tab next to them
    page.locator("[data-testid=tab-events]").click()
    records = page.locator("[data-testid=records-table]").inner_text()
    for label in ("创建企业", "邀请成员", "接受邀请"):
        assert label in records
    both_widths(page, screenshot, "records-zh")
    member_row = Membership.objects.get(company=company, user=lina)
    page.goto(f"{base}/companies/{company.pk}/members/{member_row.pk}/transfer/")
    both_widths(page, screenshot, "transfer-confirm-zh")
    page.goto(f"{base}/companies/{company.pk}/")
    assert "上海示例科技有限公司" in page.locator("h1").inner_text()
    both_widths(page, screenshot, "company-details-zh")
    page.locator(".mainnav").get_by_role("link", name="合同").click()
    both_widths(page, screenshot, "contracts-list-zh")

    # --- the same pages in English ------------------------------------------------------------------
    page.goto(f"{base}/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator(".mainnav").inner_text().split() == [
        "Workbench",
        "Seals",
        "Contracts",
        "Seal",
        "approvals",
        "Members",
        "Records",
    ]
    assert "Unverified" in page.locator(".head-badges").inner_text()
    both_widths(page, screenshot, "workbench-company-en")
    page.goto(f"{base}/companies/{company.pk}/members/")
    assert page.locator("h1").inner_text() == "Members"
    both_widths(page, screenshot, "members-en")
    page.goto(f"{base}/records/")
    assert "Invitation accepted" in page.locator("[data-testid=records-table]").inner_text()
    both_widths(page, screenshot, "records-en")
    page.goto(f"{base}/")
    page.locator(".switcher summary").click()
    page.locator(".menu-item", has_text="Personal space").click()
    page.wait_for_url(f"{base}/")
    assert page.locator(".space-name").inner_text() == "张伟"
    assert "上海示例科技有限公司" in page.locator("[data-testid=my-companies]").inner_text()
    both_widths(page, screenshot, "workbench-personal-en")
    page.locator(".mainnav").get_by_role("link", name="Members").click()
    assert "personal space" in page.locator(".notice").inner_text()
    both_widths(page, screenshot, "members-personal-en")
    page.goto(f"{base}/companies/new/")
    both_widths(page, screenshot, "company-create-en")

    assert AuditEvent.objects.filter(company=company, action="invitation.accepted").exists()
