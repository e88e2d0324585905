"""Use requests in Debian's chromium, desktop and phone: a member asks for a seal on the signing
page, an approver approves on the approvals workbench, the member stamps once, and a stale
second tab that still offers the seal is refused; a grant that ends while the signing page is
open refuses the stamp and writes nothing. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from chop.contracts import intent
from chop.contracts.models import Position, SigningAct
from chop.grants.models import Grant, UseRequest
from chop.orgs.models import Membership, Role
from chop.seals.models import Seal, new_seal_code
from tests.conftest import session_cookie
from tests.contracts.signing_support import add_party, official_seal, send, upload

from .authorisation_support import grant

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


def _contract_seal(company, like: Seal) -> Seal:
    """A second active seal of the company (a contract seal), drawn like ``like``."""
    return Seal.objects.create(
        company=company,
        kind="contract",
        name=f"{company.name}合同专用章",
        code=new_seal_code(),
        status="active",
        origin="generated",
        certificate=like.certificate,
        image=like.image.name,
        spec=like.spec,
    )


def _two_party_slots(w, title):
    """A contract of A with two parties of A (two departments) and B, in parallel, each with a
    designated place: one approval can stamp for only one of A's parties."""
    contract = upload(w["a"], w["a_owner"], pages=2, title=title)
    contract.order = "parallel"
    contract.number = "HT-2026-088"
    contract.save()
    p1 = add_party(contract, company=w["a"], name="甲方科技有限公司（采购部）")
    p2 = add_party(contract, company=w["a"], name="甲方科技有限公司（财务部）")
    pb = add_party(contract, company=w["b"])
    for p, x in ((p1, 20), (p2, 80), (pb, 140)):
        Position.objects.create(participant=p, form="single", page=2, x_mm=x, y_mm=200)
    send(contract, w["a_owner"])
    return contract, p1, p2


def _ready(page):
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sign-sheet img')].every(i => i.complete)"
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_request_approve_stamp_once_and_a_stale_tab_is_refused(
    signing_world, make_user, browser, live_server, screenshot, size
):
    w = signing_world
    approver = make_user("甲方审批人")
    Membership.objects.create(company=w["a"], user=approver, role=Role.SEAL_APPROVER)
    official = official_seal(w["a"])
    contract_seal = _contract_seal(w["a"], official)
    grant(contract_seal, w["a_member"], max_uses=3, ends_in_days=90)
    contract, p1, p2 = _two_party_slots(w, "设备采购合同")
    member = w["a_member"]
    intent.set_signing_password(member, "member-pass")
    sign_url = f"{live_server.url}/contracts/{contract.pk}/sign/"

    mctx = _context(browser, live_server, member, w["a"], size)
    actx = _context(browser, live_server, approver, w["a"], size)
    try:
        page = mctx.new_page()
        page.goto(f"{sign_url}?party={p1.pk}")
        _ready(page)
        # the granted contract seal is offered (with why); the official seal only for approval
        assert page.locator(f'input[name="seal"][value="{official.pk}"]').count() == 0
        assert page.locator(f'input[name="seal"][value="{contract_seal.pk}"]').count() == 1
        assert "还可使用 3 次" in page.get_by_test_id("seal-why").inner_text()
        _no_sideways_scroll(page)
        screenshot(page, f"sign-page-allowed-and-requestable-{size}")
        form = page.locator(f'[data-testid="seal-request"][data-seal="{official.pk}"]')
        form.get_by_test_id("request-reason").fill("与设备供应商的采购合同，需要加盖公章")
        form.get_by_test_id("request-reason").scroll_into_view_if_needed()
        screenshot(page, f"request-form-{size}")
        with page.expect_navigation():
            form.get_by_test_id("request-submit").click()
        assert "已发送给审批人" in page.locator(".messages").inner_text()
        assert "待审批" in form.get_by_test_id("request-state").inner_text()
        _no_sideways_scroll(page)
        screenshot(page, f"sign-page-pending-{size}")
        req = UseRequest.objects.get()

        ap = actx.new_page()
        ap.goto(f"{live_server.url}/")
        assert ap.get_by_test_id("nav-approvals-count").first.inner_text() == "1"
        ap.goto(f"{live_server.url}/approvals/")
        card = ap.get_by_test_id("approval")
        assert "与设备供应商的采购合同" in card.inner_text()
        ap.wait_for_function(
            "() => [...document.querySelectorAll('.approval-seal')].every(i => i.naturalWidth > 0)"
        )
        _no_sideways_scroll(ap)
        screenshot(ap, f"approvals-waiting-{size}")
        card.get_by_test_id("decide-comment").fill("同意，仅限本合同")
        with ap.expect_navigation():
            card.get_by_test_id("approve").click()
        assert "已同意" in ap.locator(".messages").inner_text()
        ap.goto(f"{live_server.url}/approvals/?tab=decided")
        assert "同意，仅限本合同" in ap.get_by_test_id("approval").inner_text()
        _no_sideways_scroll(ap)
        screenshot(ap, f"approvals-decided-{size}")
        req.refresh_from_db()
        assert req.state == "approved"

        # two tabs offer the official seal now: one for each of A's parties
        page.goto(f"{sign_url}?party={p1.pk}")
        _ready(page)
        stale = mctx.new_page()
        stale.goto(f"{sign_url}?party={p2.pk}")
        _ready(stale)
        for tab in (page, stale):
            assert tab.locator(f'input[name="seal"][value="{official.pk}"]').count() == 1
        page.locator(f'input[name="seal"][value="{official.pk}"]').check()
        page.get_by_test_id("sign-password").fill("member-pass")
        with page.expect_navigation():
            page.get_by_test_id("sign-submit").click()
        assert page.url.endswith(f"/contracts/{contract.pk}/")

        stale.locator(f'input[name="seal"][value="{official.pk}"]').check()
        stale.get_by_test_id("sign-password").fill("member-pass")
        with stale.expect_navigation():
            stale.get_by_test_id("sign-submit").click()
        error = stale.get_by_test_id("sign-error").inner_text()
        assert "审批只允许用印一次" in error
        stale.evaluate("() => window.scrollTo(0, 0)")
        screenshot(stale, f"refused-second-stamp-{size}")
    finally:
        mctx.close()
        actx.close()
    act = SigningAct.objects.get()
    assert (act.participant_id, act.seal_id, act.authorisation_kind) == (
        p1.pk,
        official.pk,
        "approval",
    )
    req.refresh_from_db()
    assert req.state == "used" and act.use_request_id == req.pk
    assert contract.versions.count() == 2


def test_a_grant_that_expires_while_the_page_is_open_refuses_the_stamp(
    signing_world, browser, live_server, screenshot
):
    w = signing_world
    official = official_seal(w["a"])
    g = grant(official, w["a_member"], ends_in_days=30)
    contract, p1, _p2 = _two_party_slots(w, "服务协议")
    intent.set_signing_password(w["a_member"], "member-pass")
    context = _context(browser, live_server, w["a_member"], w["a"], "desktop")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/contracts/{contract.pk}/sign/?party={p1.pk}")
        _ready(page)
        page.locator(f'input[name="seal"][value="{official.pk}"]').check()
        page.get_by_test_id("sign-password").fill("member-pass")
        Grant.objects.filter(pk=g.pk).update(ends_at=timezone.now() - datetime.timedelta(seconds=1))
        with page.expect_navigation():
            page.get_by_test_id("sign-submit").click()
        assert "对该印章的授权已过期" in page.get_by_test_id("sign-error").inner_text()
        # the page now offers the seal only for approval
        assert page.locator(f'input[name="seal"][value="{official.pk}"]').count() == 0
        assert page.get_by_test_id("request-form").count() == 1
        page.evaluate("() => window.scrollTo(0, 0)")
        screenshot(page, "refused-expired-grant-desktop")
    finally:
        context.close()
    assert not SigningAct.objects.exists() and contract.versions.count() == 1
    g.refresh_from_db()
    assert g.uses == 0
