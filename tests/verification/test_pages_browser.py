"""Verification, operator and Records pages in chromium at 1280 px and on a 390 px phone
(issue 9 §8: those pages were 513–615 px wide on a phone; the company form showed every
method's fields at once)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from chop.audit.models import AuditEvent
from chop.verification.models import CompanyVerification, PersonVerification

from .test_flows import post_company, post_person

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user, company=None) -> None:
    from chop.orgs.access import SESSION_KEY

    client = Client()
    client.force_login(user)
    if company is not None:
        session = client.session
        session[SESSION_KEY] = company.pk
        session.save()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": page.base_url}]
    )


def fits_a_phone(page, screenshot, name: str) -> int:
    """Screenshots at both widths; returns how much wider than 390 px the phone page is."""
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    # the page, and every table in it: a table that only scrolls inside its frame still hides
    # columns from a phone user
    width = page.evaluate(
        "Math.max(document.documentElement.scrollWidth,"
        " ...Array.from(document.querySelectorAll('table'), t => t.getBoundingClientRect().right))"
    )
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    return width


def test_company_form_shows_only_the_chosen_methods_fields(
    browser_page, screenshot, applicant, company
):
    page = browser_page
    sign_in(page, applicant, company)
    page.goto(f"{page.base_url}/verify/company/")
    letter = page.locator('[data-method-fields="letter"]')
    deposit = page.locator('[data-method-fields="deposit"]')
    # the server sends every method's fields (they work without JavaScript) …
    html = page.request.get(f"{page.base_url}/verify/company/").text()
    assert 'data-method-fields="letter"' in html and " hidden" not in html.split("company-form")[1]
    # … and the module shows only the chosen one
    assert not letter.is_visible() and not deposit.is_visible()
    page.get_by_label("授权委托书", exact=False).first.check()
    assert letter.is_visible() and not deposit.is_visible()
    page.get_by_label("对公打款", exact=False).check()
    assert deposit.is_visible() and not letter.is_visible()
    screenshot(page, "company-deposit-chosen")
    page.get_by_label("我是法定代表人", exact=False).check()
    assert not letter.is_visible() and not deposit.is_visible()
    # after a refused submit the chosen method's fields are still the only ones shown
    page.get_by_label("对公打款", exact=False).check()
    page.locator("#company-form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    assert page.locator("input[name=method][value=deposit]").is_checked()
    assert deposit.is_visible() and not letter.is_visible()
    assert page.locator('[data-method-fields="deposit"] .errorlist').count() >= 1
    assert fits_a_phone(page, screenshot, "company-errors") <= 390


def test_verification_operator_and_records_pages_fit_a_phone(
    browser_page, screenshot, applicant, company, operator
):
    page = browser_page
    client = Client()
    client.force_login(applicant)
    post_person(client)
    from tests.conftest import log_in

    log_in(client, applicant, company)
    post_company(client, method="deposit")
    person = PersonVerification.objects.get()
    case = CompanyVerification.objects.get()
    for n in range(3):  # long values in Records: a long details text and an IPv6 address
        AuditEvent.objects.create(
            company=company,
            actor=applicant,
            action="member.invited",
            ip="2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            data={"target": f"someone.with.a.long.address.{n}@subsidiary.example.com"},
        )
    widths = {}
    sign_in(page, applicant, company)
    for name, path in (
        ("verify-home", "/verify/"),
        ("verify-person", "/verify/person/"),
        ("verify-company", "/verify/company/"),
        ("records", "/records/"),
    ):
        page.goto(f"{page.base_url}{path}")
        widths[name] = fits_a_phone(page, screenshot, name)
    sign_in(page, operator)
    for name, path in (
        ("queue", "/operator/?state=all"),
        ("case-person", f"/operator/person/{person.pk}/"),
        ("case-company", f"/operator/company/{case.pk}/"),
    ):
        page.goto(f"{page.base_url}{path}")
        widths[name] = fits_a_phone(page, screenshot, name)
    assert {k: w for k, w in widths.items() if w > 390} == {}


def test_status_after_submitting_follows_the_provider(
    browser_page, screenshot, applicant, settings
):
    """Right after submitting, the case waits for the provider (a background task); the page
    must show the provider's answer when it comes, not keep saying it is waiting."""
    from chop.verification import tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page = browser_page
    client = Client()
    client.force_login(applicant)
    post_person(client)
    case = PersonVerification.objects.get()
    assert case.state == "pending_provider"  # the task is queued, not run
    sign_in(page, applicant)
    page.goto(f"{page.base_url}/verify/person/")
    status = page.locator("#case-status")
    assert "等待身份核验服务" in status.inner_text() or "等待" in status.inner_text()
    screenshot(page, "waiting-for-provider")
    tasks.ask_identity_provider.func(case.pk)  # the worker runs it
    case.refresh_from_db()
    assert case.state == "pending_review"
    expect(page.locator("#case-status")).to_contain_text("审核员", timeout=10_000)
    assert "等待" not in page.locator("#case-status").inner_text()
    assert page.locator("[data-polling]").count() == 0  # and it stops asking
    screenshot(page, "provider-answered")
