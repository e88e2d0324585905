"""Upload an impression, have it approved, see it active: in Debian's chromium, two contexts.

A seal keeper uploads a phone photo of the company's official seal; the page says it is
extracting and updates by itself (htmx polling) when the background task is done, showing the
photo and the transparent seal. An operator (a second browser context) opens the console, sees
the company's verified name and USCC beside the image, and approves. The keeper then sees the new
official seal active on the Seals page and the old one revoked. Screenshots at 1280 and 390 px
(copied to ``$CHOP_SHOTS_DIR`` when set).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from chop.orgs.models import Role
from chop.seals.models import Seal
from tests.conftest import session_cookie

from .upload_photos import stamp_photo

DESKTOP, PHONE = (1280, 860), (390, 844)


@pytest.fixture
def shot(screenshot):
    folder = os.environ.get("CHOP_SHOTS_DIR")

    def take(page, name: str) -> Path:
        path = screenshot(page, name)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(folder) / f"{name}.png")
        return path

    return take


def _context(browser, base, user, company=None, size=DESKTOP):
    ctx = browser.new_context(
        locale="zh-CN",
        viewport={"width": size[0], "height": size[1]},
        is_mobile=size == PHONE,
        has_touch=size == PHONE,
    )
    ctx.set_default_timeout(15_000)
    ctx.add_cookies([session_cookie(user, base, company)])
    return ctx


def _both_sizes(page, shot, name: str) -> None:
    shot(page, f"{name}-desktop")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    shot(page, f"{name}-phone")
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_keeper_uploads_operator_approves_keeper_sees_it_active(
    browser, live_server, verified_company, make_user, settings, tmp_path, shot
):
    from chop.seals.upload import run_extraction

    # the worker is not running: the page must show "extracting" and then update by itself
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    keeper = make_user("印章管理员")
    operator = make_user("平台审核员", is_staff=True)
    company = verified_company(members={keeper: Role.SEAL_KEEPER})
    old = Seal.objects.get(company=company, kind="official", status="active")
    photo = tmp_path / "IMG_0420.jpg"
    photo.write_bytes(stamp_photo("red", "official", seed=2))
    base = live_server.url

    keeper_ctx = _context(browser, base, keeper, company)
    page = keeper_ctx.new_page()
    try:
        page.goto(base + "/seals/upload/")
        assert page.locator("#id_name").input_value() == company.name
        assert not page.locator("#id_purpose").is_visible()  # only for an "other" seal
        page.select_option("#id_kind", "custom")
        assert page.locator("#id_purpose").is_visible()
        page.select_option("#id_kind", "official")
        page.check("#id_straighten")
        page.set_input_files("#id_photo", str(photo))
        _both_sizes(page, shot, "upload-form")
        with page.expect_navigation():
            page.locator("#upload-form button[type=submit]").click()
        page.locator('[data-state="extracting"]').wait_for()
        shot(page, "upload-extracting-desktop")

        seal = Seal.objects.get(company=company, origin="uploaded")
        assert seal.status == "pending" and not seal.image
        assert run_extraction(seal.pk) == "extracted"  # what the worker does
        page.locator('[data-state="pending"]').wait_for(timeout=10_000)  # htmx poll picks it up
        after = page.locator('img[data-testid="extracted"]')
        after.wait_for()
        page.wait_for_function(  # a function: polling an expression needs eval, which CSP forbids
            "() => document.querySelectorAll('.before-after img').length === 2 && "
            "[...document.querySelectorAll('.before-after img')].every(i => i.complete && i.naturalWidth > 0)"
        )
        assert (
            page.evaluate("document.querySelector('img[data-testid=extracted]').naturalWidth") > 300
        )
        _both_sizes(page, shot, "upload-before-after")
    finally:
        keeper_ctx.close()

    op_ctx = _context(browser, base, operator)
    op = op_ctx.new_page()
    try:
        op.goto(base + reverse("verification:queue"))
        link = op.locator('[data-testid="seal-review-link"]')
        assert link.locator(".badge").inner_text() == "1"
        shot(op, "verification-queue-link-desktop")
        with op.expect_navigation():
            link.locator("a").click()
        assert op.url == base + "/operator/seals/"
        row = op.locator(f'a[href="/operator/seals/{seal.pk}/"]')
        assert company.name in row.inner_text()
        _both_sizes(op, shot, "review-queue")
        with op.expect_navigation():
            row.click()
        facts = op.locator('[data-testid="verified-company"]')
        assert company.name in facts.inner_text() and company.uscc in facts.inner_text()
        assert old.code in op.locator(".replaces").inner_text()
        op.wait_for_function(
            "() => [...document.querySelectorAll('.review-compare img, .docs img')].every(i => i.complete && i.naturalWidth > 0)"
        )
        _both_sizes(op, shot, "review-page")
        with op.expect_navigation():
            op.locator("button[name=decision][value=approve]").click()
        assert op.locator(".msg-success").is_visible()
        shot(op, "review-approved-desktop")
    finally:
        op_ctx.close()

    seal.refresh_from_db()
    old.refresh_from_db()
    assert seal.status == "active" and old.status == "revoked"

    keeper_ctx = _context(browser, base, keeper, company)
    page = keeper_ctx.new_page()
    try:
        page.goto(base + "/seals/")
        card = page.locator(f'li.seal-card[data-code="{seal.code}"]')
        assert card.locator(".badge.ok").is_visible()
        assert seal.code in card.inner_text()
        _both_sizes(page, shot, "seals-after-approval")
    finally:
        keeper_ctx.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_photo_without_a_seal_is_refused_with_the_reason(
    browser, live_server, verified_company, make_user, tmp_path, shot
):
    from .upload_photos import plain_photo

    keeper = make_user("印章管理员")
    company = verified_company(members={keeper: Role.SEAL_KEEPER})
    photo = tmp_path / "blank.jpg"
    photo.write_bytes(plain_photo())
    base = live_server.url
    ctx = _context(browser, base, keeper, company, size=PHONE)
    page = ctx.new_page()
    try:
        page.goto(base + "/seals/upload/")
        page.set_input_files("#id_photo", str(photo))
        with page.expect_navigation():
            page.locator("#upload-form button[type=submit]").click()
        page.locator('[data-state="failed"]').wait_for()
        reason = page.locator('[data-testid="failure-reason"]').inner_text()
        assert "照片中未找到所选颜色的印迹" in reason
        shot(page, "upload-refused-phone")
        with page.expect_navigation():
            page.locator('[data-state="failed"] a.button').click()
        assert page.url.endswith("/seals/upload/")
    finally:
        ctx.close()
    seal = Seal.objects.get(company=company, origin="uploaded")
    assert seal.status == "revoked" and seal.spec["upload"]["error"] == "no_ink"
