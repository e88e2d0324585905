"""A seal keeper makes a contract seal in Debian's chromium, on a desktop and a phone.

From the Seals page to the studio, the contract seal's form: typing a name changes the server-drawn
preview; an over-long name shows "at most N characters" beside the field; fixing it and submitting
lands on the new seal's page. Screenshots of the form with its preview and with the error, at
1280 px and 390 px, in test-artifacts/ and /work/wt/shots/studio/ when that folder exists."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from chop.orgs.models import Role
from chop.sealart import max_name_chars
from chop.seals.models import Seal
from tests.conftest import session_cookie

SHOTS = Path("/work/wt/shots/studio")
SIZES = {"desktop": (1280, 860), "phone": (390, 844)}


def _keep(path: Path) -> None:
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


def _preview_state(page) -> dict:
    return page.evaluate(
        """() => { const img = document.getElementById("studio-preview");
        return {src: img.getAttribute("src") || "", loaded: img.complete && img.naturalWidth > 0,
                hidden: img.hidden}; }"""
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_keeper_makes_a_contract_seal_with_the_live_preview(
    browser, live_server, verified_company, make_user, screenshot, device
):
    keeper = make_user("印章管理员")
    company = verified_company("上海示例科技有限公司", members={keeper: Role.SEAL_KEEPER})
    base = live_server.url
    width, height = SIZES[device]
    ctx = browser.new_context(
        locale="zh-CN",
        viewport={"width": width, "height": height},
        is_mobile=device == "phone",
        has_touch=device == "phone",
    )
    ctx.set_default_timeout(15_000)
    ctx.add_cookies([session_cookie(keeper, base, company)])
    page = ctx.new_page()
    most = max_name_chars("contract", size_mm=40)
    new_name = "上海新制科技有限公司"
    try:
        page.goto(base + "/seals/")
        with page.expect_navigation():
            page.get_by_role("link", name="制作印章").click()
        _keep(screenshot(page, f"studio-kinds-{device}"))
        with page.expect_navigation():
            page.locator('a[data-kind="contract"]').click()
        page.wait_for_function(
            "() => { const i = document.getElementById('studio-preview');"
            " return i.complete && i.naturalWidth > 0; }"
        )
        first = _preview_state(page)
        assert first["loaded"] and "kind=contract" in first["src"]

        # typing a name redraws the preview on the server
        page.fill("#id_name", new_name)
        page.wait_for_function(
            "(old) => { const i = document.getElementById('studio-preview');"
            " return i.getAttribute('src') !== old && i.complete && i.naturalWidth > 0; }",
            arg=first["src"],
        )
        shown = _preview_state(page)
        assert "name=" in shown["src"] and shown["src"] != first["src"]
        svg = page.request.get(base + shown["src"])
        assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml")
        assert new_name[-4:] in "".join(re.findall(r'data-char="([^"]*)"', svg.text()))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _keep(screenshot(page, f"studio-form-preview-{device}"))

        # an over-long name: the limit appears beside the field
        page.fill("#id_name", "国" * (most + 1))
        error = page.locator('[data-error-for="name"]')
        error.wait_for(state="visible")
        assert f"最多 {most} 个字" in error.inner_text()
        assert page.locator("#id_name").get_attribute("aria-invalid") == "true"
        error.scroll_into_view_if_needed()
        _keep(screenshot(page, f"studio-form-error-{device}"))

        # fixed: the error goes, the preview comes back, and the seal is made
        page.fill("#id_name", new_name)
        error.wait_for(state="hidden")
        with page.expect_navigation():
            page.get_by_role("button", name="生成印章").click()
        seal = Seal.objects.get(company=company, origin="template")
        assert page.url == f"{base}/seals/{seal.pk}/"
        assert page.get_by_text(seal.code).first.is_visible()
        _keep(screenshot(page, f"studio-made-{device}"))
    finally:
        ctx.close()
    assert (seal.kind, seal.name, seal.status) == ("contract", new_name, "active")
    assert seal.spec["name"] == new_name


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_kind_shows_its_server_drawn_preview(
    browser, live_server, verified_company, make_user, screenshot
):
    """Each kind's form opens with a preview the browser decodes (the legal representative's once
    the representative has a seal), and the aged look changes the picture."""
    from chop.seals import studio
    from chop.seals.issuance import ensure_legal_rep_seal

    keeper = make_user("印章管理员")
    company = verified_company("上海示例科技有限公司", members={keeper: Role.SEAL_KEEPER})
    rep = make_user("张三")
    ensure_legal_rep_seal(company, rep, "张三", "110101199003071234", by=rep)
    base = live_server.url
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    ctx.set_default_timeout(15_000)
    ctx.add_cookies([session_cookie(keeper, base, company)])
    page = ctx.new_page()
    loaded = (
        "() => { const i = document.getElementById('studio-preview');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    try:
        for slug in studio.KINDS:
            page.goto(f"{base}/seals/new/?kind={slug}")
            page.wait_for_function(loaded)
            if slug in ("invoice", "legal_rep_rect", "custom"):
                _keep(screenshot(page, f"studio-kind-{slug}"))
        before = _preview_state(page)["src"]
        page.check("#id_aged")
        page.wait_for_function(
            "(old) => { const i = document.getElementById('studio-preview');"
            " return i.getAttribute('src') !== old && i.complete && i.naturalWidth > 0; }",
            arg=before,
        )
        assert "aged=on" in _preview_state(page)["src"]
    finally:
        ctx.close()
