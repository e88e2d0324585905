"""The signing page in Debian's chromium, desktop and phone: a designated party chooses its seal,
confirms by signing password and signs; a non-designated party places its seal by tapping,
nudges it with the keyboard, confirms by a code from its outbox and signs. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import json

import pytest

from chop.contracts import intent
from chop.contracts.models import Position, SigningAct
from tests.conftest import session_cookie

from .signing_support import add_party, official_seal, outbox_codes, send, upload

SIZES = {"desktop": (1280, 860), "phone": (390, 844)}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _context(browser, live_server, user, company, size):
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    context.set_default_timeout(20_000)
    context.add_cookies([session_cookie(user, live_server.url, company)])
    return context


def _no_sideways_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the screen"


def _shoot(page, screenshot, name):
    """Every page image loaded (they are lazy), then a full-page screenshot from the top."""
    for sheet in page.locator(".sign-sheet").all():
        sheet.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sign-sheet img')].every(i => i.naturalWidth > 0)"
    )
    page.evaluate("() => window.scrollTo(0, 0)")
    return screenshot(page, name)


@pytest.mark.parametrize("size", list(SIZES))
def test_designated_party_signs_with_its_password(
    signing_world, browser, live_server, screenshot, size
):
    w = signing_world
    contract = upload(w["a"], w["a_owner"], pages=2, title="设备采购合同")
    contract.number = "HT-2026-017"
    contract.save()
    pa = add_party(contract, company=w["a"], user=w["a_keeper"])
    add_party(contract, company=w["b"])
    Position.objects.create(participant=pa, form="single", page=1, x_mm=130, y_mm=200)
    Position.objects.create(participant=pa, form="riding", edge="right", pages="all")
    send(contract, w["a_owner"])
    intent.set_signing_password(w["a_keeper"], "keeper-pass")
    context = _context(browser, live_server, w["a_keeper"], w["a"], size)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/contracts/{contract.pk}/")
        with page.expect_navigation():
            page.get_by_test_id("sign-link").click()
        page.wait_for_function(
            "() => document.querySelectorAll('.sign-box.shown').length === 3"
            " && [...document.querySelectorAll('.sign-sheet img')].every(i => i.complete)"
        )
        box = page.locator(".sign-box.shown").first.bounding_box()
        assert box and box["width"] > 20 and box["height"] > 20
        _no_sideways_scroll(page)
        _shoot(page, screenshot, f"sign-page-{size}")
        page.get_by_test_id("seal-option").first.click()
        page.get_by_test_id("sign-password").fill("keeper-pass")
        with page.expect_navigation():
            page.get_by_test_id("sign-submit").click()
        assert page.url.endswith(f"/contracts/{contract.pk}/")
        assert "已代表甲方科技有限公司完成签署" in page.locator(".messages").inner_text()
        assert page.get_by_test_id("signature-ok").count() == 1
        _no_sideways_scroll(page)
        page.evaluate("() => window.scrollTo(0, 0)")
        screenshot(page, f"signed-contract-page-{size}")
    finally:
        context.close()
    act = SigningAct.objects.get()
    assert act.seal == official_seal(w["a"]) and act.pages == [1, 2]


@pytest.mark.parametrize("size", list(SIZES))
def test_free_placement_and_a_code(signing_world, browser, live_server, screenshot, size):
    w = signing_world
    contract = upload(w["a"], w["a_owner"], pages=2, title="服务协议")
    contract.order = "parallel"
    contract.save()
    add_party(contract, company=w["a"], user=w["a_keeper"])
    pb = add_party(contract, company=w["b"])
    send(contract, w["a_owner"])
    owner = w["b_owner"]
    context = _context(browser, live_server, owner, w["b"], size)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/contracts/{contract.pk}/sign/")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.sign-sheet img')].every(i => i.complete)"
        )
        sheet = page.locator(".sign-sheet").nth(1)
        sheet.scroll_into_view_if_needed()
        rect = sheet.bounding_box()
        assert rect
        sheet.locator("img").click(position={"x": rect["width"] * 0.7, "y": rect["height"] * 0.8})
        mark = page.get_by_test_id("free-mark")
        assert mark.count() == 1
        before = json.loads(page.locator("[data-free-input]").input_value())
        assert before[0]["page"] == 2
        mark.focus()
        page.keyboard.press("Shift+ArrowLeft")
        page.keyboard.press("ArrowUp")
        after = json.loads(page.locator("[data-free-input]").input_value())
        assert after[0]["x_mm"] == pytest.approx(before[0]["x_mm"] - 5, abs=0.11)
        assert after[0]["y_mm"] == pytest.approx(before[0]["y_mm"] - 1, abs=0.11)
        # drag it a little to the left
        mb = page.get_by_test_id("free-mark").bounding_box()
        page.mouse.move(mb["x"] + mb["width"] / 2, mb["y"] + mb["height"] / 2)
        page.mouse.down()
        page.mouse.move(mb["x"] + mb["width"] / 2 - 30, mb["y"] + mb["height"] / 2, steps=5)
        page.mouse.up()
        dragged = json.loads(page.locator("[data-free-input]").input_value())
        assert dragged[0]["x_mm"] < after[0]["x_mm"] - 1
        with page.expect_navigation():
            page.get_by_test_id("send-sms").click()
        assert page.get_by_test_id("code-sent").count() == 1
        # the placement survived the round trip
        assert page.get_by_test_id("free-mark").count() == 1
        page.get_by_test_id("sign-code").fill(outbox_codes(owner.phone)[-1])
        _no_sideways_scroll(page)
        _shoot(page, screenshot, f"sign-free-{size}")
        with page.expect_navigation():
            page.get_by_test_id("sign-submit").click()
        assert page.url.endswith(f"/contracts/{contract.pk}/")
        assert "已代表乙方贸易有限公司完成签署" in page.locator(".messages").inner_text()
    finally:
        context.close()
    act = SigningAct.objects.get(participant=pb)
    assert act.intent_method == "sms" and act.pages == [2]
    assert act.marks[0]["x_mm"] == pytest.approx(dragged[0]["x_mm"], abs=0.11)
