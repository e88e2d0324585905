"""The signatures panel with each signature's signed provenance, in Debian's chromium on a desktop
and a 390 px phone (zh-Hans): it fits the screen and says which authorisation allowed the stamp.
Screenshots go to test-artifacts/ (and, for review, to CHOP_SHOTS when set)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import session_cookie

from .test_provenance import sign_with_provenance

SIZES = {"desktop": (1280, 860), "phone": (390, 844)}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", list(SIZES))
def test_the_signatures_panel_shows_the_provenance(
    signing_world, browser, live_server, screenshot, monkeypatch, size
):
    w = signing_world
    contract, seal, expected = sign_with_provenance(w, monkeypatch)
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    context.set_default_timeout(20_000)
    context.add_cookies([session_cookie(w["a_owner"], live_server.url, w["a"])])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/contracts/{contract.pk}/")
        block = page.get_by_test_id("signature-provenance")
        assert block.count() == 1
        text = block.inner_text()
        assert "签名内的用印依据" in text and seal.code in text
        assert f"用印授权 #{expected['authorisation']['id']}" in text and "签署密码" in text
        assert block.is_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than the screen"
        box = block.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1
        screenshot(page, f"contract-provenance-{size}")
        shots = os.environ.get("CHOP_SHOTS")
        if shots:
            folder = Path(shots)
            folder.mkdir(parents=True, exist_ok=True)
            page.get_by_test_id("signatures").screenshot(
                path=str(folder / f"signatures-provenance-{size}.png")
            )
            page.screenshot(path=str(folder / f"contract-page-{size}.png"), full_page=True)
    finally:
        context.close()
