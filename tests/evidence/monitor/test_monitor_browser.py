"""用印记录 in Debian's chromium, desktop and phone, in Chinese: the records with charts and
hints, filters applied, the CSV export with its progress line, the empty state, and the account
events beside them. Screenshots go to test-artifacts/ and /work/wt/shots/monitor/ when present."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from tests.conftest import session_cookie

from .conftest import more_like

SIZES = {"desktop": (1280, 860), "phone": (390, 844)}
SHOTS = Path("/work/wt/shots/monitor")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser, live_server, user, company, size):
    width, height = SIZES[size]
    context = browser.new_context(
        locale="zh-CN", viewport={"width": width, "height": height}, accept_downloads=True
    )
    context.set_default_timeout(20_000)
    context.add_cookies([session_cookie(user, live_server.url, company)])
    return context, context.new_page()


def _shot(page, screenshot, name):
    screenshot(page, name)
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the screen"


def _history(w, rec):
    """Two weeks of use: the keeper most days, the owner now and then, one late-night stamp,
    a Saturday one, and an auto-sign burst."""
    today = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    for d in range(14, 0, -1):
        day = today - dt.timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for i in range(1 + d % 3):
            more_like(rec, day + dt.timedelta(minutes=37 * i))
        if d % 4 == 0:
            more_like(
                rec,
                day + dt.timedelta(hours=4),
                signer=w["a_owner"],
                signer_name=w["a_owner"].display_name,
                seal=w["person_seal"],
                seal_code=w["person_seal"].code,
                seal_name=w["person_seal"].name,
                forms=["riding", "single"],
            )
    more_like(rec, today - dt.timedelta(days=3) + dt.timedelta(hours=13, minutes=20))  # 23:20
    saturday = today - dt.timedelta(days=(today.weekday() - 5) % 7 or 7)
    more_like(rec, saturday)
    auto = {
        "signer": None,
        "signer_name": "",
        "authorisation_kind": "autosign",
        "intent_method": "auto",
    }
    weekday = next(
        today - dt.timedelta(days=d)
        for d in range(2, 9)
        if (today - dt.timedelta(days=d)).weekday() < 5
    )
    burst = weekday + dt.timedelta(hours=5)  # 15:00 on a working day
    for i in range(12):
        more_like(rec, burst + dt.timedelta(seconds=40 * i), **auto)


def test_monitoring_pages_on_desktop_and_phone(stamped, browser, live_server, screenshot):
    w, rec = stamped
    _history(w, rec)
    base = live_server.url
    for size in SIZES:
        context, page = _page(browser, live_server, w["a_owner"], w["a"], size)
        page.goto(f"{base}/")
        page.locator(".mainnav").get_by_role("link", name="用印记录").click()
        page.wait_for_url("**/records/stamps/")
        assert page.locator("h1").inner_text() == "用印记录"
        assert page.locator("[data-testid=stamp-row]").count() == 25  # one page of many
        assert "非工作时间用印" in page.locator("[data-testid=hint-off-hours]").inner_text()
        assert "静默签集中用印" in page.locator("[data-testid=hint-bursts]").inner_text()
        assert page.locator("[data-testid=chart-daily] svg rect").count() > 5
        assert page.locator("[data-testid=chart-person] svg rect").count() == 3
        _no_sideways_scroll(page)
        _shot(page, screenshot, f"stamps-{size}")

        # filters: the keeper's single-seal stamps
        form = page.locator("[data-testid=stamp-filters]")
        form.locator("select[name=person]").select_option(str(w["a_keeper"].pk))
        form.locator("select[name=form]").select_option("single")
        form.get_by_role("button", name="筛选").click()
        page.wait_for_url("**person=*")
        rows = page.locator("[data-testid=stamp-row]")
        assert rows.count() > 0
        assert (
            w["a_owner"].display_name not in page.locator("[data-testid=stamps-table]").inner_text()
        )
        _no_sideways_scroll(page)
        _shot(page, screenshot, f"stamps-filtered-{size}")

        if size == "desktop":
            # the export: a progress line, then the file, the filtered set with a BOM
            with page.expect_download() as info:
                page.locator("[data-testid=export-csv]").click()
            path = info.value.path()
            data = Path(path).read_bytes()
            assert data.startswith(b"\xef\xbb\xbf") and "甲方科技有限公司".encode() in data
            assert w["a_owner"].display_name.encode() not in data
            status = page.locator("[data-testid=export-status]")
            status.filter(has_text="导出完成").wait_for()
            with page.expect_download() as info:
                page.locator("[data-testid=export-xlsx]").click()
            assert Path(info.value.path()).read_bytes()[:2] == b"PK"

        # account events, the tab beside it
        page.locator("[data-testid=tab-events]").click()
        page.wait_for_url("**/records/")
        assert page.locator("h1").inner_text() == "操作日志"
        assert "切换空间" not in page.locator("main").inner_text()
        _no_sideways_scroll(page)
        _shot(page, screenshot, f"account-events-{size}")
        context.close()

        # the other company: an empty state that says what to do next
        context, page = _page(browser, live_server, w["b_owner"], w["b"], size)
        page.goto(f"{base}/records/stamps/")
        assert "还没有使用过印章" in page.locator("[data-testid=stamps-empty]").inner_text()
        _no_sideways_scroll(page)
        _shot(page, screenshot, f"stamps-empty-{size}")
        context.close()
