"""The invitation page in Debian's chromium, desktop and phone: an unregistered party opens the
link from its message and is told to register and verify first; a forged link is refused.
Screenshots go to test-artifacts/ and /work/wt/shots/states/ when that exists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chop.contracts import notify, participants

from .parties_support import USCC_C, make_draft

SHOTS = Path("/work/wt/shots/states")
SIZES = {"desktop": (1280, 860), "phone": (390, 844)}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", list(SIZES))
def test_invitation_page(world, browser, live_server, screenshot, size):
    contract = make_draft(world["a"], world["a_owner"])
    party = participants.add_company(
        contract, by=world["a_owner"], name="丙方物流有限公司", uscc=USCC_C, contact="13900002222"
    )
    token = notify.invite_token(party)
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/contracts/invite/{token}/")
        card = page.get_by_test_id("contract-invite")
        assert "丙方物流有限公司" in card.inner_text() and "采购合同" in card.inner_text()
        assert page.get_by_role("link", name="注册").count() >= 1
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, "the page scrolls sideways"
        path = screenshot(page, f"invite-{size}")
        page.goto(f"{live_server.url}/contracts/invite/{token}x/")
        assert "无效" in page.get_by_test_id("contract-invite").inner_text()
        bad = screenshot(page, f"invite-invalid-{size}")
        if SHOTS.parent.exists():
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, SHOTS / path.name)
            shutil.copy(bad, SHOTS / bad.name)
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_draft_page_lists_the_parties(world, browser, live_server, screenshot, size):
    from tests.conftest import session_cookie

    from .parties_support import three_party_draft

    contract = three_party_draft(world)
    participants.add_company(
        contract, by=world["a_owner"], name="丙方物流有限公司", uscc=USCC_C, contact="13900002222"
    )
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    context.add_cookies([session_cookie(world["a_owner"], live_server.url, world["a"])])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/contracts/{contract.pk}/")
        rows = page.get_by_test_id("parties").locator("li")
        assert rows.count() == 4
        assert "丙方物流有限公司" in rows.nth(3).inner_text()
        assert "尚未注册" in rows.nth(3).inner_text()
        assert "个人" in rows.nth(2).inner_text() and "个人信息" not in rows.nth(2).inner_text()
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, "the page scrolls sideways"
        path = screenshot(page, f"draft-parties-{size}")
        if SHOTS.parent.exists():
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, SHOTS / path.name)
    finally:
        context.close()
