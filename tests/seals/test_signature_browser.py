"""Signing by QR code in Debian's chromium: a desktop and an emulated phone with touch.

The desktop (1280 px) shows a QR code; a second browser context emulating a phone (390×844,
touch, devicePixelRatio 3) opens its link, draws with touch events sent through the DevTools
protocol (real pointer events of type "touch"), and sends. The desktop page shows the signature
without a reload. Then drawing on the desktop with the mouse, and the name in Kai script.
Screenshots go to test-artifacts/ and /work/wt/shots/signature/ when that folder exists.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

from chop.seals.models import Seal, SignatureLink
from tests.conftest import session_cookie

SHOTS = Path("/work/wt/shots/signature")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shot(screenshot):
    def take(page, name: str) -> Path:
        path = screenshot(page, name)
        if SHOTS.parent.parent.exists():
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, SHOTS / f"{name}.png")
        return path

    return take


@pytest.fixture
def person(make_user):
    return make_user("王小明")


def _touch_stroke(cdp, points) -> None:
    """One finger stroke through ``points`` (CSS px in the viewport)."""
    x, y = points[0]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for x, y in points[1:]:
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def _wave(x0, y0, width, steps=24, amplitude=40):
    """A signature-like zigzag starting at (x0, y0)."""
    return [
        (x0 + width * i / steps, y0 + (amplitude if i % 4 in (1, 2) else -amplitude) * (i % 2))
        for i in range(steps + 1)
    ]


def _decoded(seal: Seal) -> Image.Image:
    seal.image.open("rb")
    img = Image.open(io.BytesIO(seal.image.read()))
    seal.image.close()
    img.load()
    return img


def test_a_signature_drawn_on_a_phone_appears_on_the_desktop(browser, live_server, person, shot):
    base = live_server.url
    desktop_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    desktop_ctx.set_default_timeout(15_000)
    desktop_ctx.add_cookies([session_cookie(person, base)])
    phone_ctx = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=3,
    )
    phone_ctx.set_default_timeout(15_000)
    try:
        desktop = desktop_ctx.new_page()
        desktop.goto(base + "/seals/signature/")
        shot(desktop, "desktop-start")
        with desktop.expect_navigation():
            desktop.get_by_role("button", name="显示二维码").click()
        qr = desktop.locator("#signature-qr img")
        qr.wait_for()
        desktop.wait_for_function(
            "() => document.querySelector('#signature-qr img').naturalWidth > 100"
        )  # the SVG loaded
        link = desktop.locator("[data-signature-link]").inner_text().strip()
        assert "/s/" in link
        desktop.evaluate("window.noReloadMarker = 42")
        shot(desktop, "desktop-qr-waiting")

        phone = phone_ctx.new_page()
        phone.goto(base + urlparse(link).path)
        assert phone.evaluate("window.devicePixelRatio") == 3
        hint = phone.locator(".pad-hint")
        assert hint.is_visible() and "横" in hint.inner_text()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        shot(phone, "phone-portrait-hint")

        # held sideways the hint goes and the pad gets the room
        phone.set_viewport_size({"width": 844, "height": 390})
        phone.wait_for_function("() => !document.querySelector('.pad-hint').checkVisibility()")
        shot(phone, "phone-landscape")
        phone.set_viewport_size({"width": 390, "height": 844})
        hint.wait_for(state="visible")

        canvas = phone.locator("canvas.pad-canvas")
        box = canvas.bounding_box()
        assert box is not None
        # the canvas has devicePixelRatio × its CSS size in pixels: strokes are not jagged
        assert phone.evaluate("document.querySelector('canvas').width") == round(box["width"] * 3)
        cdp = phone_ctx.new_cdp_session(phone)
        left, top = box["x"] + 40, box["y"] + box["height"] / 2
        _touch_stroke(cdp, _wave(left, top, 200))
        _touch_stroke(cdp, [(left + 230, top - 60), (left + 250, top + 50), (left + 270, top - 10)])
        _touch_stroke(cdp, [(left + 10, top + 80), (left + 60, top + 80)])
        strokes = "document.querySelector('[data-signature-pad]').signaturePad.strokes.length"
        assert phone.evaluate(strokes) == 3
        # the width follows the speed: the zigzag's pen widths are not all the same
        widths = phone.evaluate(
            "document.querySelector('[data-signature-pad]').signaturePad.strokes[0].map(p => p.w)"
        )
        assert max(widths) - min(widths) > 0.5, widths
        phone.get_by_role("button", name="撤销").click()
        assert phone.evaluate(strokes) == 2
        shot(phone, "phone-drawn")

        phone.get_by_role("button", name="发送").click()
        done = phone.locator("[data-pad-done]")
        done.wait_for(state="visible")
        assert "完成" in done.inner_text()
        assert not hint.is_visible() and not canvas.is_visible()
        shot(phone, "phone-sent")

        # the desktop page swaps the signature in by itself (htmx polling), without a reload
        arrived = desktop.locator("#signature-status[data-state=arrived] img")
        arrived.wait_for(state="visible", timeout=20_000)
        assert desktop.evaluate("window.noReloadMarker") == 42
        desktop.wait_for_function(
            "() => document.querySelector('#signature-status img').naturalWidth > 100"
        )
        assert desktop.locator("#signature-qr img").count() == 0  # the used QR code is gone
        shot(desktop, "desktop-arrived")

        # the link is spent: opening it again says so
        again = phone_ctx.new_page()
        response = again.goto(base + urlparse(link).path)
        assert response is not None and response.status == 410
        shot(again, "phone-link-used")
    finally:
        desktop_ctx.close()
        phone_ctx.close()

    seal = Seal.objects.get(owner=person, kind=Seal.Kind.SIGNATURE)
    assert seal.status == Seal.Status.ACTIVE and seal.origin == "drawn" and seal.company is None
    assert SignatureLink.objects.get(user=person).seal == seal
    img = _decoded(seal)
    assert img.format == "PNG" and img.mode == "RGBA"
    w, h = img.size
    assert all(img.getpixel(c)[3] == 0 for c in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)])
    # the two kept strokes span 270 CSS px (the undone third is gone): at devicePixelRatio 3 about
    # 810 device pixels plus the pen and a few per cent of margin, not the 390 px × 3 canvas
    assert 800 < w < 960, w
    assert img.getchannel("A").getextrema()[1] == 255


def test_drawing_on_the_desktop_and_the_name_in_kai(browser, live_server, person, shot):
    base = live_server.url
    for device, size in {"desktop": (1280, 900), "phone": (390, 844)}.items():
        ctx = browser.new_context(
            locale="zh-CN",
            viewport={"width": size[0], "height": size[1]},
            is_mobile=device == "phone",
            has_touch=device == "phone",
        )
        ctx.set_default_timeout(15_000)
        ctx.add_cookies([session_cookie(person, base)])
        page = ctx.new_page()
        try:
            page.goto(base + "/seals/signature/")
            assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
            if device == "phone":
                shot(page, "signature-page-phone")
                continue
            canvas = page.locator("#draw canvas")
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + 30, box["y"] + 100)
            page.mouse.down()
            for x, y in _wave(box["x"] + 30, box["y"] + 100, 220, amplitude=35):
                page.mouse.move(x, y, steps=2)
            page.mouse.up()
            shot(page, "desktop-drawn")
            with page.expect_navigation():
                page.get_by_role("button", name="使用这幅签名").click()
            current = page.locator("#signature-current img")
            current.wait_for()
            page.wait_for_function(
                "() => document.querySelector('#signature-current img').naturalWidth > 100"
            )
            assert "实名认证后可用" in page.locator("#signature-current").inner_text()
            shot(page, "desktop-drawn-saved")

            with page.expect_navigation():
                page.get_by_role("button", name="使用楷体姓名").click()
            page.locator("#signature-current").wait_for()
            assert "按姓名生成" in page.locator("#signature-current").inner_text()
            shot(page, "desktop-typed-saved")
        finally:
            ctx.close()

    drawn, typed = Seal.objects.filter(owner=person, kind=Seal.Kind.SIGNATURE).order_by("pk")
    assert (drawn.origin, drawn.status) == ("drawn", "revoked")
    assert (typed.origin, typed.status) == ("typed", "active")
    img = _decoded(drawn)
    assert img.mode == "RGBA" and img.getpixel((0, 0))[3] == 0
    assert img.width > 200  # 220 CSS px of mouse strokes at the desktop's ratio 1
