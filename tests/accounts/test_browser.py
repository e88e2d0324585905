"""End to end in Debian's chromium: register by phone with the code from the outbox, land on the
workbench; screenshots of the register and login pages in Chinese and English."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders

from chop.accounts import outbox
from chop.accounts.models import User

from .conftest import PASSWORD


@pytest.fixture
def _shared_static(settings):
    """Serve src/chop/static (chop.css, htmx) even while settings lack STATICFILES_DIRS for it:
    without them the pages render unstyled and htmx never loads."""
    if not finders.find("chop/htmx.min.js"):
        settings.STATICFILES_DIRS = [django_settings.PACKAGE_DIR / "static"]
    assert finders.find("chop/htmx.min.js"), "htmx must be served for this test"


@pytest.mark.browser
def test_register_by_phone_and_pages_in_both_languages(_shared_static, browser_page, screenshot):
    page = browser_page
    base = page.base_url

    page.goto(f"{base}/accounts/register/")
    assert page.locator("h1").inner_text() == "注册"
    assert page.locator("[data-step2]").is_hidden()
    screenshot(page, "register-zh")

    page.fill("#id_login", "+86 136 0013 6000")
    page.get_by_role("button", name="获取验证码").click()
    status = page.locator("#code-status.ok")
    status.wait_for()
    assert "136****6000" in status.inner_text()
    # The button counts down and cannot be pressed again meanwhile.
    button = page.locator("#code-sender button").first
    assert re.search(r"\d+ 秒后重新获取", button.inner_text())
    assert button.is_disabled()
    assert page.locator("[data-step2]").is_visible()

    code = outbox.last_code("13600136000")
    assert code
    page.fill("#id_code", code)
    page.fill("#id_name", "赵六")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    screenshot(page, "register-step2-zh")
    page.get_by_role("button", name="注册账号").click()
    page.wait_for_url(f"{base}/")
    assert User.objects.get(phone="13600136000").name == "赵六"
    screenshot(page, "workbench-after-register")

    # Logged out, the login page in Chinese, both tabs.
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    assert page.locator("h1").inner_text() == "登录"
    assert page.get_by_role("link", name="注册", exact=True).is_visible()
    assert page.get_by_role("link", name="忘记密码？").is_visible()
    screenshot(page, "login-zh")
    page.get_by_role("link", name="验证码登录").click()
    page.locator("#id_code").wait_for()
    screenshot(page, "login-code-zh")

    # Switch to English with the header button.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.locator("h1", has_text="Log in").wait_for()
    assert page.get_by_role("button", name="Get code").is_visible()
    screenshot(page, "login-code-en")
    page.get_by_role("link", name="Password login").click()
    page.locator("#id_password").wait_for()
    screenshot(page, "login-en")
    page.goto(f"{base}/accounts/register/")
    assert page.locator("h1").inner_text() == "Register"
    screenshot(page, "register-en")
    page.goto(f"{base}/accounts/reset/")
    screenshot(page, "reset-en")
    page.fill("#id_login", "nobody@example.com")
    page.get_by_role("button", name="Get code").click()
    page.locator("#code-status.ok").wait_for()
    assert "If an account exists" in page.locator("#code-status").inner_text()
    assert page.locator("#id_password1").is_visible()
    screenshot(page, "reset-en-sent")
    page.goto(f"{base}/accounts/register/")
    page.fill("#id_login", "not-a-number")
    page.get_by_role("button", name="Get code").click()
    page.locator("#code-status.error").wait_for()
    assert "valid mainland mobile number" in page.locator("#code-status").inner_text()
    screenshot(page, "register-en-invalid")

    # Phone-sized screen.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{base}/accounts/login/?tab=code")
    screenshot(page, "login-code-en-mobile")

    # Five wrong passwords lock the account; the page says so and when to come back.
    page.goto(f"{base}/accounts/login/")
    for _ in range(5):
        page.fill("#id_login", "13600136000")
        page.fill("#id_password", "wrong-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
    alert = page.locator(".form-alert")
    assert "Too many failed attempts" in alert.inner_text()
    assert "1 minute " in alert.inner_text()  # the first delay for this (account, address)
    screenshot(page, "login-locked-en-mobile")


@pytest.mark.browser
def test_code_button_counts_down_and_can_resend(_shared_static, browser_page, settings):
    settings.CHOP_OTP_RESEND_SECONDS = 2
    page = browser_page
    page.goto(f"{page.base_url}/accounts/login/?tab=code")
    page.fill("#id_login", "13600136001")
    button = page.locator("#code-sender button").first
    button.click()
    page.locator("#code-status.ok").wait_for()
    assert button.is_disabled() and "秒后重新获取" in button.inner_text()
    page.wait_for_function(
        "() => { const b = document.querySelector('#code-sender button');"
        " return !b.disabled && b.textContent.trim() === '重新获取'; }",
        timeout=5000,
    )
    button.click()
    page.wait_for_function(
        "() => document.querySelector('#code-sender button').disabled", timeout=5000
    )
    assert "如果该账号存在" in page.locator("#code-status").inner_text()
