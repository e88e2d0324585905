"""Auto-sign in Debian's chromium: the owner opens the seal, follows "静默签", fills the terms,
confirms with the code that reached their phone, sees the authorisation active with its signed
letter, and revokes it; the platform may stamp in between and not after. Screenshots of the empty
state, the form, the code step and the list with every state, at 1280 px and 390 px (copied to
CHOP_SHOTS_DIR when set), and a PNG of the letter's page."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from django.utils import timezone

from chop.grants.models import AutoSignAuthorisation
from chop.orgs.models import Role
from chop.orgs.permissions import Actor, may_stamp
from tests.contracts.signing_support import add_party, official_seal, outbox_codes, send, upload
from tests.seals.conftest import verified_company  # noqa: F401  (fixture)
from tests.seals.test_pages_browser import DESKTOP, PHONE, open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CHOP_SHOTS_DIR")


def both_sizes(page, screenshot, name: str) -> None:
    """Desktop and phone screenshots; the phone page must not scroll sideways."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky bar stays on top of a full-page shot
        path = screenshot(page, f"{name}-{label}")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(SHOTS) / f"{name}-{label}.png")
        if label == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name}: {width} px wide on a phone"
    page.set_viewport_size(DESKTOP)


def other_states(seal, owner) -> None:
    """An expired and a revoked authorisation, and one whose letter is still being made, so the
    list shows every state."""
    now = timezone.now()
    common = dict(
        company_id=seal.company_id,
        seal=seal,
        daily_cap=20,
        confirmed_by=owner,
        confirmed_at=now - dt.timedelta(days=400),
        confirm_method="email",
    )
    AutoSignAuthorisation.objects.create(
        starts_at=now - dt.timedelta(days=400),
        ends_at=now - dt.timedelta(days=35),
        letter="autosign-letters/old.pdf",
        letter_signed_at=now - dt.timedelta(days=400),
        uses=731,
        note="旧系统对接",
        **common,
    )
    AutoSignAuthorisation.objects.create(
        starts_at=now - dt.timedelta(days=20),
        ends_at=now + dt.timedelta(days=100),
        letter="autosign-letters/revoked.pdf",
        letter_signed_at=now - dt.timedelta(days=20),
        revoked_at=now - dt.timedelta(days=2),
        revoked_by=owner,
        contract_types=["劳务合同"],
        **common,
    )
    AutoSignAuthorisation.objects.create(  # its letter not made yet
        starts_at=now, ends_at=now + dt.timedelta(days=30), contract_types=["借款合同"], **common
    )


def test_owner_authorises_auto_sign_with_a_code_and_revokes_it(
    browser,
    live_server,
    verified_company,  # noqa: F811
    make_user,
    screenshot,
    tmp_path,
):
    owner = make_user("王老板")
    keeper = make_user("李管章")
    company = verified_company(
        "上海示例科技有限公司", owner=owner, members={keeper: Role.SEAL_KEEPER}
    )
    other = verified_company("乙方贸易有限公司", owner=make_user("乙方老板"))
    seal = official_seal(company)
    contract = upload(company, owner)
    contract.contract_type = "采购合同"
    contract.save(update_fields=["contract_type"])
    add_party(contract, company=company, user=keeper)
    add_party(contract, company=other)
    send(contract, owner)

    page = open_as(browser, live_server, owner, company)
    try:
        page.goto(f"{page.base_url}/seals/{seal.pk}/")
        both_sizes(page, screenshot, "seal-detail-link")
        page.get_by_test_id("seal-autosign-link").get_by_role("link").click()
        page.wait_for_url(f"{page.base_url}/seals/{seal.pk}/autosign/")
        assert page.get_by_test_id("autosign-empty").is_visible()
        both_sizes(page, screenshot, "autosign-empty")

        page.get_by_test_id("autosign-new").click()
        page.fill("#id_contract_types", "采购合同、劳务合同")
        page.fill("#id_daily_cap", "200")
        page.fill("#id_note", "ERP 系统自动盖采购合同")
        both_sizes(page, screenshot, "autosign-form")
        with page.expect_navigation():
            page.get_by_role("button", name="发送验证码").click()
        assert "?step=code" in page.url
        both_sizes(page, screenshot, "autosign-code")
        code = outbox_codes(owner.phone)[-1]
        page.fill("#id_code", code)
        with page.expect_navigation():
            page.get_by_role("button", name="确认授权").click()

        auth = AutoSignAuthorisation.objects.get()
        card = page.get_by_test_id(f"autosign-{auth.pk}")
        # the letter is made by the task after the commit; the page shows it once reloaded
        page.reload()
        assert card.get_by_test_id("autosign-state").inner_text() == "生效中"
        assert card.get_by_test_id("letter-link").is_visible()
        assert "采购合同、劳务合同" in card.inner_text()
        allowed = may_stamp(Actor.autosign(), seal, contract)
        assert allowed and allowed.kind == "autosign" and allowed.authorisation.pk == auth.pk

        other_states(seal, owner)
        page.reload()
        both_sizes(page, screenshot, "autosign-list")

        card.locator("summary").click()
        with page.expect_navigation():
            card.get_by_role("button", name="撤销静默签").click()
        assert card.get_by_test_id("autosign-state").inner_text() == "已撤销"
        both_sizes(page, screenshot, "autosign-revoked")
    finally:
        page.context.close()
    assert not may_stamp(Actor.autosign(), seal, contract)

    auth.refresh_from_db()
    with auth.letter.open("rb") as fh:
        doc = pdfium.PdfDocument(fh.read())
    try:
        doc.init_forms()  # the seal is the signature widget's appearance
        assert len(doc) == 1, "the letter should fit on one A4 page"
        image = doc[0].render(scale=1.6, may_draw_forms=True).to_pil()
    finally:
        doc.close()
    # a red seal is on the page (the signature widget drawn), not only text
    from PIL import ImageChops

    r, g, b = image.convert("RGB").split()
    redness = ImageChops.subtract(r, ImageChops.lighter(g, b))  # r minus the larger of g, b
    red = sum(redness.point(lambda v: 255 if v > 100 else 0).histogram()[255:])
    assert red > 2000, red
    image.save(tmp_path / "autosign-letter.png")
    if SHOTS:
        shutil.copy(tmp_path / "autosign-letter.png", Path(SHOTS) / "autosign-letter.png")
