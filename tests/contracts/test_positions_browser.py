"""The positions editor in Debian's chromium: the initiator drags a seal onto page 2 with the
mouse, moves it, nudges it with the arrow keys, finds a keyword, places a riding seal; after a
reload the boxes sit at the stored millimetres. On a phone a tap places the seal. Screenshots of
the editor with several parties' boxes go to test-artifacts/ (and /work/wt/shots/positions/)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from chop.contracts import documents, participants, positions, previews
from chop.contracts.models import Position
from tests.conftest import session_cookie

from .conftest import pdf_file, pdf_pages
from .parties_support import USCC_B

SHOTS = Path("/work/wt/shots/positions")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _draft(world):
    data = pdf_pages(
        5,
        texts={
            4: [(90, 260, "甲方（盖章）"), (330, 260, "乙方（盖章）")],
            0: [(72, 700, "设备采购合同")],
        },
    )
    contract = documents.create_draft(
        company=world["a"], user=world["a_owner"], title="设备采购合同", upload=pdf_file(data)
    )
    previews.render_version(contract.current_version())
    by = world["a_owner"]
    a = participants.add_initiator(contract, by=by, stamper=world["a_keeper"])
    b = participants.add_company(contract, by=by, name="乙方贸易有限公司", uscc=USCC_B)
    p = participants.add_person(contract, by=by, name="张三", contact="zhangsan@example.com")
    return contract, a, b, p


def mark(page) -> str:
    """When the editor last drew a saved answer (its data-saved stamp)."""
    return page.evaluate("() => document.getElementById('pos-editor').dataset.saved || ''")


def until(page, check, what: str, *, since: str | None = None, timeout: float = 10.0):
    """Wait until ``check()`` (a database read) is true; with ``since`` (a ``mark``), also until
    the editor has drawn the server's answer, so the next step acts on the new boxes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        result = check()
        if result:
            if since is not None:
                page.wait_for_function(
                    "(m) => (document.getElementById('pos-editor').dataset.saved || '') !== m",
                    arg=since,
                )
            return result
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def _open(browser, live_server, world, contract, size):
    width, height = size
    phone = width < 500
    ctx = browser.new_context(
        locale="zh-CN",
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
    )
    ctx.set_default_timeout(15_000)
    ctx.add_cookies([session_cookie(world["a_owner"], live_server.url, world["a"])])
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # console errors, except the 400 the test provokes on purpose (a refused position)
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "400" not in m.text else None,
    )
    page.goto(f"{live_server.url}/contracts/{contract.pk}/positions/")
    page.wait_for_function("() => document.querySelector('.pos-editor-js') !== null")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.pos-page img')].slice(0, 2)"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    return ctx, page, errors


def _box_mm(page, position_id: int) -> dict:
    """Where the box is drawn, measured back in mm from the page element's displayed size."""
    return page.evaluate(
        """(id) => {
          const box = document.querySelector(`.pos-box[data-position="${id}"]`);
          const el = box.closest('.pos-page');
          const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
          const k = r.width / parseFloat(el.dataset.wMm);
          return {page: Number(el.dataset.page), x: (b.left - r.left) / k, y: (b.top - r.top) / k,
                  w: b.width / k};
        }""",
        position_id,
    )


def _shoot(screenshot, page, name):
    """A full-page screenshot once every preview has loaded (they are lazy: scroll past each)."""
    for el in page.locator(".pos-page").all():
        el.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.pos-page img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    page.evaluate("() => window.scrollTo(0, 0)")
    path = screenshot(page, name)
    if SHOTS.parent.exists():
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / f"{name}.png")


def test_drag_nudge_keyword_riding_and_reload(world, browser, live_server, screenshot):
    contract, a, b, _p = _draft(world)
    ctx, page, errors = _open(browser, live_server, world, contract, (1280, 860))
    try:
        # drag the placeholder from the panel onto page 2 with the mouse
        target = page.get_by_test_id("pos-page-2")
        target.scroll_into_view_if_needed()
        chip = page.get_by_test_id("place-chip").bounding_box()
        box = target.bounding_box()
        page.mouse.move(chip["x"] + 20, chip["y"] + 10)
        m = mark(page)
        page.mouse.down()
        page.mouse.move(chip["x"] - 40, chip["y"] + 40, steps=5)
        drop = (box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
        page.mouse.move(*drop, steps=10)
        page.mouse.up()
        pos = until(
            page, lambda: Position.objects.filter(participant=a).first(), "the drop", since=m
        )
        assert pos.form == "single" and pos.page == 2
        k = box["width"] / positions.page_size_mm(contract.current_version(), 2)[0]
        # the seal is centred where it was dropped (then snapped: centre line, 1 mm grid)
        assert abs(pos.x_mm + 20 - (drop[0] - box["x"]) / k) <= 2.5, pos.x_mm
        assert abs(pos.y_mm + 20 - (drop[1] - box["y"]) / k) <= 2.5, pos.y_mm

        # move it by dragging the box: 25 mm right and 30 mm down (away from snapping lines)
        seal = page.locator(f'.pos-box[data-position="{pos.pk}"]')
        sb = seal.bounding_box()
        start = (sb["x"] + sb["width"] / 2, sb["y"] + sb["height"] / 2)
        page.mouse.move(*start)
        m = mark(page)
        page.mouse.down()
        page.mouse.move(start[0] + 25 * k, start[1] + 30 * k, steps=8)
        page.mouse.up()
        before = (pos.x_mm, pos.y_mm)
        pos = until(
            page,
            lambda: ((p := Position.objects.get(pk=pos.pk)).x_mm != before[0] and p,)[0],
            "the move",
            since=m,
        )
        assert abs(pos.x_mm - before[0] - 25) <= 1.5 and abs(pos.y_mm - before[1] - 30) <= 1.5
        assert pos.page == 2

        # keyboard: 3 × → (1 mm each), Shift+↓ (5 mm); saved after a short pause
        seal = page.locator(f'.pos-box[data-position="{pos.pk}"]')
        m = mark(page)
        seal.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Shift+ArrowDown")
        moved = until(
            page,
            lambda: ((p := Position.objects.get(pk=pos.pk)).y_mm == pos.y_mm + 5 and p,)[0],
            "the keyboard nudge",
            since=m,
        )
        assert moved.x_mm == pos.x_mm + 3

        # keyword for B: find shows the hit on page 5 before saving
        page.select_option("#pos-party", str(b.pk))
        page.check("input[name=form][value=keyword]")
        page.fill("#pos-keyword", "乙方（盖章）")
        page.get_by_test_id("find-keyword").click()
        page.wait_for_function("() => document.querySelectorAll('.pos-hit').length === 1")
        assert "1" in page.get_by_test_id("find-result").inner_text()
        hit_page = page.evaluate(
            "() => document.querySelector('.pos-hit').closest('.pos-page').dataset.page"
        )
        assert hit_page == "5"
        m = mark(page)
        page.get_by_test_id("save-position").click()
        kw = until(
            page, lambda: Position.objects.filter(participant=b).first(), "the keyword", since=m
        )
        assert (kw.form, kw.keyword) == ("keyword", "乙方（盖章）")

        # a riding seal for A across all pages, centred 150 mm from the top
        page.get_by_test_id("new-position").click()
        assert page.locator("#pos-party").is_enabled()
        page.select_option("#pos-party", str(a.pk))
        page.check("input[name=form][value=riding]")
        page.fill("#pos-pages-spec", "all")
        page.fill("#pos-along", "150")
        m = mark(page)
        page.get_by_test_id("save-position").click()
        riding = until(
            page,
            lambda: Position.objects.filter(participant=a, form="riding").first(),
            "riding",
            since=m,
        )
        assert (riding.edge, riding.pages, riding.along_mm) == ("right", "all", 150.0)
        page.wait_for_function(
            "(id) => document.querySelectorAll(`.pos-box[data-position='${id}']`).length === 5",
            arg=riding.pk,
        )

        # an error from the server is shown beside the panel, nothing stored
        page.fill("#pos-along", "5")
        page.get_by_test_id("save-position").click()
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=position-error]').hidden"
        )
        assert "沿边" in page.get_by_test_id("position-error").inner_text()
        assert Position.objects.get(pk=riding.pk).along_mm == 150.0

        # reload: the boxes are drawn at the stored millimetres
        page.reload()
        page.wait_for_function("() => document.querySelector('.pos-editor-js') !== null")
        drawn = _box_mm(page, moved.pk)
        assert drawn["page"] == 2
        assert abs(drawn["x"] - moved.x_mm) < 0.5 and abs(drawn["y"] - moved.y_mm) < 0.5, drawn
        assert abs(drawn["w"] - 40) < 0.5
        assert page.locator(f'.pos-box[data-position="{kw.pk}"]').count() == 1
        assert page.get_by_test_id("legend").locator("li").count() == 3
        page.get_by_test_id("pos-page-5").scroll_into_view_if_needed()
        _shoot(screenshot, page, "positions-editor-desktop")

        # Delete on a selected box removes the position (B becomes non-designated)
        page.locator(f'.pos-box[data-position="{kw.pk}"]').focus()
        page.keyboard.press("Delete")
        until(page, lambda: not Position.objects.filter(pk=kw.pk).exists(), "the removal")
        row = page.locator(f'.pos-party-row[data-party="{b.pk}"]')
        page.wait_for_function(
            "(id) => !document.querySelector(`.pos-party-row[data-party='${id}'] .pos-none`).hidden",
            arg=b.pk,
        )
        assert "签署方自行放置" in row.inner_text()

        # the contract page sums the positions up and links to the editor
        page.goto(f"{live_server.url}/contracts/{contract.pk}/")
        summary = page.get_by_test_id("positions-summary")
        assert "骑缝章" in summary.inner_text() and "第 2 页" in summary.inner_text()
        summary.scroll_into_view_if_needed()
        path = screenshot(page, "contract-positions-summary-desktop")
        if SHOTS.parent.exists():
            shutil.copy(path, SHOTS / "contract-positions-summary-desktop.png")
        with page.expect_navigation():
            page.get_by_test_id("place-seals").click()
        assert page.url.endswith(f"/contracts/{contract.pk}/positions/")
        assert not errors, errors
    finally:
        ctx.close()


def test_phone_tap_places_and_page_fits(world, browser, live_server, screenshot):
    contract, a, b, p = _draft(world)
    by = world["a_owner"]
    positions.add(contract, a, {"form": "single", "page": 5, "x_mm": 30, "y_mm": 190}, by=by)
    positions.add(contract, a, {"form": "riding", "pages": "all", "edge": "right"}, by=by)
    positions.add(contract, b, {"form": "keyword", "keyword": "乙方（盖章）"}, by=by)
    ctx, page, errors = _open(browser, live_server, world, contract, (390, 844))
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, "the page scrolls sideways"
        _shoot(screenshot, page, "positions-editor-phone-panel")
        page.select_option("#pos-party", str(p.pk))
        page.get_by_test_id("place-chip").tap()
        assert page.get_by_test_id("place-chip").get_attribute("aria-pressed") == "true"
        target = page.get_by_test_id("pos-page-1")
        target.scroll_into_view_if_needed()
        tb = target.bounding_box()
        m = mark(page)
        target.tap(position={"x": tb["width"] * 0.3, "y": tb["height"] * 0.8})
        placed = until(
            page, lambda: Position.objects.filter(participant=p).first(), "the tap", since=m
        )
        assert placed.page == 1 and placed.size_mm == positions.PERSON_SIZE_MM
        k = tb["width"] / 210
        assert abs(placed.x_mm + 10 - tb["width"] * 0.3 / k) <= 2.5
        page.get_by_test_id("pos-page-5").scroll_into_view_if_needed()
        _shoot(screenshot, page, "positions-editor-phone")
        page.goto(f"{live_server.url}/contracts/{contract.pk}/")
        page.get_by_test_id("positions-summary").scroll_into_view_if_needed()
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, "the contract page scrolls sideways"
        path = screenshot(page, "contract-positions-summary-phone")
        if SHOTS.parent.exists():
            shutil.copy(path, SHOTS / "contract-positions-summary-phone.png")
        assert not errors, errors
    finally:
        ctx.close()


def test_move_between_pages_and_drag_riding_along_the_edge(world, browser, live_server):
    """A viewport tall enough for two pages: a box dragged from page 1 onto page 2 moves there;
    a riding seal's strips follow the pointer along the edge."""
    contract, a, b, _p = _draft(world)
    by = world["a_owner"]
    single = positions.add(
        contract, b, {"form": "single", "page": 1, "x_mm": 100, "y_mm": 200}, by=by
    )
    riding = positions.add(
        contract, a, {"form": "riding", "pages": "1-3", "edge": "right", "along_mm": 100}, by=by
    )
    ctx, page, errors = _open(browser, live_server, world, contract, (1280, 2400))
    try:
        k = page.get_by_test_id("pos-page-1").bounding_box()["width"] / 210
        sb = page.locator(f'.pos-box[data-position="{single.pk}"]').bounding_box()
        p2 = page.get_by_test_id("pos-page-2").bounding_box()
        page.mouse.move(sb["x"] + 5, sb["y"] + 5)
        m = mark(page)
        page.mouse.down()
        # the box's top-left to 57 mm, 33 mm of page 2 (grabbed 5 px inside it)
        page.mouse.move(p2["x"] + 57 * k + 5, p2["y"] + 33 * k + 5, steps=12)
        page.mouse.up()
        moved = until(
            page,
            lambda: (p := Position.objects.get(pk=single.pk)).page == 2 and p,
            "the move to page 2",
            since=m,
        )
        assert abs(moved.x_mm - 57) <= 1 and abs(moved.y_mm - 33) <= 1, (moved.x_mm, moved.y_mm)
        drawn = _box_mm(page, single.pk)
        assert drawn["page"] == 2 and abs(drawn["x"] - moved.x_mm) < 0.5

        strip = page.locator(f'.pos-box[data-position="{riding.pk}"]').first.bounding_box()
        page.mouse.move(strip["x"] + strip["width"] / 2, strip["y"] + strip["height"] / 2)
        m = mark(page)
        page.mouse.down()
        page.mouse.move(
            strip["x"] + strip["width"] / 2, strip["y"] + strip["height"] / 2 + 37 * k, steps=8
        )
        page.mouse.up()
        dragged = until(
            page,
            lambda: (p := Position.objects.get(pk=riding.pk)).along_mm != 100 and p,
            "the riding drag",
            since=m,
        )
        assert abs(dragged.along_mm - 137) <= 1.5, dragged.along_mm
        assert dragged.edge == "right" and dragged.pages == "1-3"
        assert not errors, errors
    finally:
        ctx.close()
