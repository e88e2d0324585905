"""In Debian's chromium: company A adds its stamper, company B (by name and USCC) and a person on
the draft page, without script-only controls, and sends; B's owner finds the contract under To
sign on the workbench and opens the decline page. Screenshots, desktop and phone, of the draft
page with its parties, both workbenches and the decline page go to test-artifacts/ (and to
/work/wt/shots/parties/ when that exists)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from chop.contracts import documents, previews
from chop.contracts.models import Contract
from tests.conftest import session_cookie

from .conftest import pdf_file, pdf_pages

SHOTS = Path("/work/wt/shots/parties")
SIZES = {"desktop": (1280, 860), "phone": (390, 844)}
USCC_B = "91310000MA1FL8XQ11"  # its check characters are right: the form checks them

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shoot(screenshot):
    def take(page, name: str) -> None:
        path = screenshot(page, name)
        overflow = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{name}: the page scrolls sideways"
        if SHOTS.parent.exists():
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, SHOTS / path.name)

    return take


def _context(browser, base, user, company, size):
    width, height = SIZES[size]
    ctx = browser.new_context(
        locale="zh-CN",
        viewport={"width": width, "height": height},
        is_mobile=size == "phone",
        has_touch=size == "phone",
    )
    ctx.set_default_timeout(15_000)
    ctx.add_cookies([session_cookie(user, base, company)])
    return ctx


def _submit(page, form_testid: str) -> None:
    with page.expect_navigation():
        page.get_by_test_id(form_testid).locator("button[type=submit]").click()


def test_a_sends_to_b_and_b_finds_it_to_sign(world, browser, live_server, shoot):
    world["b"].uscc = USCC_B
    world["b"].save(update_fields=["uscc"])
    contract = documents.create_draft(
        company=world["a"],
        user=world["a_owner"],
        title="设备采购合同",
        upload=pdf_file(pdf_pages(3, texts={0: [(72, 700, "甲方（盖章）")]})),
    )
    previews.render_version(contract.current_version())
    Contract.objects.filter(pk=contract.pk).update(order="parallel")
    base = live_server.url
    detail = f"{base}/contracts/{contract.pk}/"

    a = _context(browser, base, world["a_owner"], world["a"], "desktop")
    page = a.new_page()
    try:
        page.goto(detail)
        assert "还没有签署方" in page.get_by_test_id("no-parties").inner_text()
        shoot(page, "draft-no-parties-desktop")
        # the company's own party, with the keeper stamping
        page.get_by_test_id("initiator-form").locator("select").select_option(
            label=world["a_keeper"].display_name
        )
        _submit(page, "initiator-form")
        # company B by name and USCC: a typo first, told which character is wrong
        page.get_by_text("添加其他企业").click()
        form = page.get_by_test_id("company-form")
        form.locator("input[name=name]").fill("乙方贸易有限公司")
        form.locator("input[name=uscc]").fill(USCC_B[:-1] + "2")
        _submit(page, "company-form")
        assert "最后一位应为 1" in page.get_by_test_id("company-form").inner_text()
        form = page.get_by_test_id("company-form")
        form.locator("input[name=uscc]").fill(USCC_B)
        _submit(page, "company-form")
        # a person by e-mail
        page.get_by_text("添加个人").first.click()
        form = page.get_by_test_id("person-form")
        form.locator("input[name=name]").fill("张三")
        form.locator("input[name=contact]").fill("zhangsan@example.com")
        _submit(page, "person-form")
        rows = page.get_by_test_id("parties").locator("li")
        assert rows.count() == 3
        assert "甲方印章管理员" in rows.nth(0).inner_text()
        assert "乙方贸易有限公司" in rows.nth(1).inner_text()
        # the person signs before B: move up, without script
        with page.expect_navigation():
            rows.nth(2).get_by_test_id("move-up").click()
        rows = page.get_by_test_id("parties").locator("li")
        assert "张三" in rows.nth(1).inner_text()
        assert page.get_by_test_id("send-problems").count() == 0
        shoot(page, "draft-parties-desktop")
        phone = _context(browser, base, world["a_owner"], world["a"], "phone")
        try:
            p = phone.new_page()
            p.goto(detail)
            assert p.get_by_test_id("parties").locator("li").count() == 3
            shoot(p, "draft-parties-phone")
        finally:
            phone.close()
        with page.expect_navigation():
            page.get_by_test_id("send").click()
        assert "签署中" in page.locator("h1").inner_text()
        page.goto(f"{base}/contracts/")
        counts = page.get_by_test_id("workbench-tabs").inner_text()
        assert re.search(r"待签署\s*1", counts) and re.search(r"全部\s*1", counts)
        shoot(page, "workbench-a-desktop")
    finally:
        a.close()

    for size in SIZES:
        b = _context(browser, base, world["b_owner"], world["b"], size)
        page = b.new_page()
        try:
            page.goto(f"{base}/contracts/")
            assert page.get_by_test_id("count-to_sign").inner_text() == "1"
            with page.expect_navigation():
                page.get_by_test_id("tab-to_sign").click()
            row = page.get_by_test_id("contract-row")
            assert row.count() == 1 and "设备采购合同" in row.inner_text()
            assert row.get_by_test_id("sign-link").is_visible()
            shoot(page, f"workbench-b-to-sign-{size}")
            with page.expect_navigation():
                row.get_by_role("link", name="设备采购合同").click()
            # B's turn (parallel): B sees version 1's pages
            assert page.get_by_test_id("page-thumbs").is_visible()
            shoot(page, f"contract-as-b-{size}")
            with page.expect_navigation():
                page.get_by_test_id("decline-link").click()
            assert page.get_by_test_id("decline-form").is_visible()
            shoot(page, f"decline-{size}")
            if size == "phone":
                page.get_by_test_id("decline-form").locator("textarea").fill("交货期不符")
                with page.expect_navigation():
                    page.get_by_test_id("decline-submit").click()
                assert "已拒" in page.locator("h1").inner_text()
                shoot(page, "declined-as-b-phone")
        finally:
            b.close()
    contract.refresh_from_db()
    assert contract.state == "declined" and contract.state_reason == "交货期不符"
