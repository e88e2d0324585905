"""The Seals page and a seal's life in Debian's chromium: a keeper disables the official seal,
sees it disabled with the history entry, enables it again. Screenshots of every state of the
pages at 1280 px and 390 px (also copied to CHOP_SHOTS_DIR when set, for review)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from chop.orgs.models import Role
from chop.seals import lifecycle
from chop.seals.models import Seal
from tests.conftest import session_cookie

from .test_pages import _impression_png, _uploaded, official

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("CHOP_SHOTS_DIR")


def open_as(browser, live_server, user, company=None):
    ctx = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    ctx.set_default_timeout(15_000)
    ctx.add_cookies([session_cookie(user, live_server.url, company)])
    page = ctx.new_page()
    page.base_url = live_server.url  # type: ignore[attr-defined]
    return page


def both_sizes(page, screenshot, name: str) -> None:
    """Screenshots at desktop and phone width; the phone page must not scroll sideways."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = screenshot(page, f"{name}-{label}")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(SHOTS) / f"{name}-{label}.png")
        if label == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name}: {width} px wide on a phone"
    page.set_viewport_size(DESKTOP)


def test_keeper_disables_and_enables_the_official_seal(
    browser, live_server, verified_company, make_user, screenshot
):
    owner, keeper = make_user("王老板"), make_user("李管章")
    company = verified_company(owner=owner, members={keeper: Role.SEAL_KEEPER})
    seal = official(company)
    page = open_as(browser, live_server, keeper, company)
    try:
        page.goto(f"{page.base_url}/seals/")
        page.get_by_role("link", name="公章").click()
        page.wait_for_url(f"{page.base_url}/seals/{seal.pk}/")
        page.fill("#disable-reason", "年检期间暂停使用")
        with page.expect_navigation():
            page.get_by_role("button", name="停用", exact=True).click()
        assert page.locator("#seal-status").inner_text() == "已停用"
        last = page.locator("table.history tbody tr").last
        assert "印章已停用" in last.inner_text() and "年检期间暂停使用" in last.inner_text()
        assert "李管章" in last.inner_text()
        both_sizes(page, screenshot, "detail-disabled")
        with page.expect_navigation():
            page.get_by_role("button", name="启用", exact=True).click()
        assert page.locator("#seal-status").inner_text() == "已启用"
        assert "印章已重新启用" in page.locator("table.history tbody tr").last.inner_text()
        page.goto(f"{page.base_url}/seals/")
        assert page.locator(f'[data-code="{seal.code}"] .badge').inner_text() == "已启用"
    finally:
        page.context.close()
    seal.refresh_from_db()
    assert seal.status == "active"
    assert [e.action for e in lifecycle.history(seal)][-2:] == ["seal.disabled", "seal.enabled"]


def test_seals_pages_screenshots(
    browser, live_server, verified_company, make_company, make_user, screenshot
):
    owner, keeper, member = make_user("王老板"), make_user("李管章"), make_user("赵员工")
    company = verified_company(owner=owner, members={keeper: Role.SEAL_KEEPER, member: Role.MEMBER})
    page = open_as(browser, live_server, keeper, company)
    try:
        page.goto(f"{page.base_url}/seals/")
        both_sizes(page, screenshot, "list-only-official")
        # a fuller page: seals in every state
        lifecycle.change_state(
            _uploaded(company, by=keeper, name="上海示例科技有限公司合同章"),
            "disable",
            by=keeper,
            reason="合同章暂停使用，等待换新",
        )
        lifecycle.change_state(
            _uploaded(company, by=keeper, kind="finance"), "revoke", by=keeper, reason="财务章遗失"
        )
        _uploaded(company, by=keeper, kind="hr", status="pending")
        page.goto(f"{page.base_url}/seals/")
        both_sizes(page, screenshot, "list-company")
        # the official seal revoked: the page offers a new one
        old = official(company)
        lifecycle.change_state(old, "revoke", by=owner, reason="公章损毁，重新生成")
        page.goto(f"{page.base_url}/seals/{old.pk}/")
        assert page.locator('[data-testid="offer-official"]').is_visible()
        both_sizes(page, screenshot, "detail-revoked-official")
        with page.expect_navigation():
            page.get_by_role("button", name="重新生成公章").first.click()
        new = official(company)
        assert page.url.endswith(f"/seals/{new.pk}/") and new.code in page.content()
        page.locator("details.revoke summary").click()
        both_sizes(page, screenshot, "detail-new-official")
    finally:
        page.context.close()

    page = open_as(browser, live_server, member, company)
    try:
        page.goto(f"{page.base_url}/seals/{official(company).pk}/")
        assert page.locator('[data-testid="download-png"]').count() == 0
        both_sizes(page, screenshot, "detail-member")
    finally:
        page.context.close()

    boss = make_user("新公司老板")
    unverified = make_company("尚未认证的公司", owner=boss)
    page = open_as(browser, live_server, boss, unverified)
    try:
        page.goto(f"{page.base_url}/seals/")
        assert page.locator('[data-testid="empty-verify"]').is_visible()
        both_sizes(page, screenshot, "list-unverified")
    finally:
        page.context.close()

    person = make_user("陈个人")
    page = open_as(browser, live_server, person)
    try:
        page.goto(f"{page.base_url}/seals/")
        assert page.locator('[data-testid="empty-personal"]').is_visible()
        both_sizes(page, screenshot, "list-personal-empty")
        sig = Seal(owner=person, kind="signature", name="陈个人", origin="drawn", status="active")
        sig.image.save("sig.png", ContentFile(_impression_png((900, 300))), save=False)
        sig.save()
        page.goto(f"{page.base_url}/seals/")
        assert "完成实名认证后即可使用" in page.inner_text("main")
        both_sizes(page, screenshot, "list-personal-signature")
    finally:
        page.context.close()
