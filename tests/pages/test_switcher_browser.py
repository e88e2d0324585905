"""The header's space switcher works with the keyboard alone (issue 9 §8, accessibility)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from chop.accounts.models import User
from chop.orgs.models import Company, Membership, Role


def sign_in(context, base: str, user: User) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def focused(page) -> str:
    """What has the focus: its role or tag, then its text."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return (e.getAttribute('role') || e.tagName.toLowerCase()) + ':' + e.innerText.trim(); }"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_space_switcher_with_the_keyboard_only(browser_page, screenshot, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    page = browser_page
    user = User.objects.create_user("13800000031", "secret-pass-123", name="张伟")
    for name in ("上海示例科技有限公司", "北京示例贸易有限公司"):
        company = Company.objects.create(name=name, created_by=user)
        Membership.objects.create(company=company, user=user, role=Role.OWNER)
    sign_in(page.context, page.base_url, user)
    page.goto(f"{page.base_url}/")
    summary = page.locator("details.switcher summary")
    assert summary.get_attribute("aria-haspopup") == "menu"
    assert summary.get_attribute("aria-expanded") == "false"

    # Tab reaches the switcher
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('details.switcher summary')"):
            break
    else:
        pytest.fail("Tab never reached the space switcher")

    # Enter opens it on the current space (personal); the arrow keys move and wrap around
    page.keyboard.press("Enter")
    assert summary.get_attribute("aria-expanded") == "true"
    assert focused(page).startswith("menuitem:个人空间")
    screenshot(page, "switcher-keyboard-open")
    page.keyboard.press("ArrowDown")
    assert focused(page).startswith("menuitem:上海示例科技有限公司")
    page.keyboard.press("End")
    assert focused(page).startswith("menuitem:+")
    page.keyboard.press("ArrowDown")
    assert focused(page).startswith("menuitem:个人空间")
    page.keyboard.press("ArrowUp")
    assert focused(page).startswith("menuitem:+")

    # Escape closes it and gives the focus back to the summary
    page.keyboard.press("Escape")
    assert summary.get_attribute("aria-expanded") == "false"
    assert page.locator("details.switcher[open]").count() == 0
    assert page.evaluate("document.activeElement.matches('details.switcher summary')")

    # Space opens it, ArrowDown to the second company, Enter switches to it
    page.keyboard.press(" ")
    assert page.locator("details.switcher[open]").count() == 1
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert focused(page).startswith("menuitem:北京示例贸易有限公司")
    with page.expect_navigation():  # the switch is a form post; wait for the page it leads to
        page.keyboard.press("Enter")
    assert page.locator(".space-name").inner_text() == "北京示例贸易有限公司"

    # ArrowDown on the closed summary opens it too; Tab leaves and closes it
    summary.focus()
    page.keyboard.press("ArrowDown")
    assert focused(page).startswith("menuitem:北京示例贸易有限公司")  # the current space
    page.keyboard.press("Tab")
    assert page.locator("details.switcher[open]").count() == 0
    assert not page.evaluate("document.activeElement.closest('details.switcher')")
