"""A member uploads a 5-page contract in Debian's chromium, watches the previews being prepared,
sees the thumbnails, opens a page and downloads the version; on a desktop and on a phone.
Screenshots of each step go to test-artifacts/ and /work/wt/shots/docs/ when that exists."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from chop.contracts import tasks
from chop.contracts.models import Contract
from tests.conftest import session_cookie

from .conftest import certified_pdf, pdf_pages

SHOTS = Path("/work/wt/shots/docs")
SIZES = {"desktop": (1280, 860), "phone": (390, 844)}


@pytest.fixture
def shoot(screenshot):
    def take(page, name: str) -> None:
        path = screenshot(page, name)
        if SHOTS.parent.exists():
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, SHOTS / f"{name}.png")

    return take


@pytest.fixture(scope="module")
def certified_bytes() -> bytes:
    """Made before chromium starts: pyHanko signs with asyncio.run, which Playwright's running
    loop forbids."""
    return certified_pdf()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_upload_previews_page_and_download(
    certified_bytes, browser, live_server, acme, settings, shoot, tmp_path, device
):
    # a real queue: the preview task waits until the test runs it, so the progress is seen
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    data = pdf_pages(5, texts={0: [(72, 700, "甲方（盖章）"), (320, 700, "乙方（盖章）")]})
    src = tmp_path / "设备采购合同.pdf"
    src.write_bytes(data)
    base = live_server.url
    width, height = SIZES[device]
    ctx = browser.new_context(
        locale="zh-CN",
        viewport={"width": width, "height": height},
        is_mobile=device == "phone",
        has_touch=device == "phone",
        accept_downloads=True,
    )
    ctx.set_default_timeout(15_000)
    ctx.add_cookies([session_cookie(acme["member"], base, acme["company"])])
    page = ctx.new_page()
    try:
        page.goto(base + "/contracts/")
        assert page.get_by_test_id("empty-contracts").is_visible()
        shoot(page, f"contracts-empty-{device}")
        with page.expect_navigation():
            page.get_by_test_id("empty-contracts").get_by_role("link", name="上传合同").click()
        # a certified PDF first: refused with the engine's words, nothing kept
        certified = tmp_path / "已认证.pdf"
        certified.write_bytes(certified_bytes)
        page.fill("input[name=title]", "设备采购合同")
        page.set_input_files("input[name=file]", str(certified))
        with page.expect_navigation():
            page.get_by_role("button", name="上传", exact=True).click()
        assert "已被认证" in page.locator(".errorlist").inner_text()
        assert Contract.objects.count() == 0
        shoot(page, f"contract-upload-refused-{device}")
        page.set_input_files("input[name=file]", str(src))
        shoot(page, f"contract-upload-{device}")
        with page.expect_navigation():
            page.get_by_role("button", name="上传", exact=True).click()

        contract = Contract.objects.get()
        version = contract.current_version()
        assert page.url == f"{base}/contracts/{contract.pk}/"
        progress = page.get_by_test_id("previews-pending")
        assert progress.is_visible() and "0 / 5" in progress.inner_text()
        shoot(page, f"contract-previews-pending-{device}")

        tasks.render_previews.call(version.pk)  # the worker's turn
        thumbs = page.locator("[data-testid=page-thumbs] img")
        thumbs.nth(4).wait_for()  # htmx polled and swapped the thumbnails in
        assert thumbs.count() == 5
        # a function, not an expression: polling an expression needs eval, which the CSP forbids
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=page-thumbs] img')]"
            ".every(i => i.complete && i.naturalWidth === 200)"
        )
        assert thumbs.first.get_attribute("loading") == "lazy"
        assert page.get_by_test_id("sha256").inner_text() == hashlib.sha256(data).hexdigest()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shoot(page, f"contract-draft-{device}")

        # edit the draft's fields
        page.fill("input[name=number]", "CG-2026-001")
        page.fill("textarea[name=copy_recipients]", "13800138000\nfinance@example.com")
        with page.expect_navigation():
            page.get_by_role("button", name="保存草稿").click()
        assert "草稿已保存" in page.locator(".messages").inner_text()
        contract.refresh_from_db()
        assert contract.number == "CG-2026-001"
        assert contract.copy_recipients == ["13800138000", "finance@example.com"]

        with page.expect_navigation():
            page.get_by_role("link", name="第 5 页").click()
        big = page.get_by_test_id("page-view").locator("img")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=page-view] img').naturalWidth === 1000"
        )
        assert big.get_attribute("width") == "1000"
        assert "第 5 页，共 5 页" in page.locator("h1").inner_text()
        shoot(page, f"contract-page-5-{device}")
        with page.expect_navigation():
            page.get_by_role("link", name="设备采购合同").click()

        with page.expect_download() as info:
            page.get_by_test_id("download-v1").click()
        downloaded = Path(info.value.path()).read_bytes()
        assert hashlib.sha256(downloaded).hexdigest() == version.sha256
        assert downloaded == data

        page.goto(base + "/contracts/")
        assert "设备采购合同" in page.get_by_test_id("contracts-table").inner_text()
        shoot(page, f"contracts-list-{device}")
    finally:
        ctx.close()
