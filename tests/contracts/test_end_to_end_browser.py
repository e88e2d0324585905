"""A contract from upload to the signed PDF, through the real pages in Debian's chromium, on a
desktop and on a phone (PRODUCT.md §4).

Company A uploads a five-page contract, adds itself (its seal keeper stamps), company B by name
and USCC, and its legal representative as a person by phone, in order; places its official seal
on page 5 by dragging it there, a riding seal across all pages, B's seal at the keyword 乙方（盖章）
and the legal representative's signature on page 5; sends. Each signer finds the contract under
To sign on the workbench and signs: A's keeper with the official seal and a signing password, B's
owner with a one-time code from the outbox, the legal representative with his signature. The
final PDF is downloaded through the page and checked by pdfsig, pyHanko and qpdf; the database
must agree. Before its turn B cannot see the document; at its turn it sees version 1 only.

Only the fixtures (people, verified companies, certificates, the legal representative's
signature, signing passwords) are made in the database; every step of the flow is a page.
Screenshots of every step go to test-artifacts/ and /work/wt/shots/e2e/.
"""

from __future__ import annotations

import concurrent.futures
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from chop.contracts import intent, positions
from chop.contracts.models import Contract, Participant, Position, SigningAct
from tests.conftest import session_cookie

from .conftest import pdf_pages
from .signing_support import PERSON_ID, official_seal, outbox_codes, pyhanko_report, root_pem

SHOTS = Path("/work/wt/shots/e2e")
SIZES = {"desktop": (1280, 860), "phone": (390, 844)}
REP = "王建国"  # A's owner, its legal representative

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def e2e_world(verified_company, make_user):
    """A (verified; owner = legal representative with a verified name, a person certificate and
    a typed signature; a seal keeper who stamps) and B (verified, its owner stamps). Everyone who
    signs by password has one."""
    from chop.orgs.models import Role
    from chop.seals import signatures

    rep = make_user(REP)
    keeper = make_user("甲方印章管理员")
    a = verified_company("甲方科技有限公司", owner=rep, members={keeper: Role.SEAL_KEEPER})
    b_owner = make_user("乙方老板")
    b = verified_company("乙方贸易有限公司", owner=b_owner)
    png, spec = signatures.typed_png(REP)
    signature = signatures.save_signature(rep, png, origin="typed", spec=spec)
    assert signatures.person_verified(rep, REP, PERSON_ID, by=rep) is not None
    signature.refresh_from_db()
    assert signature.certificate is not None and signature.certificate.user_id == rep.pk
    intent.set_signing_password(keeper, "keeper-pass-1")
    intent.set_signing_password(rep, "rep-pass-1")
    return {"a": a, "rep": rep, "keeper": keeper, "b": b, "b_owner": b_owner, "sig": signature}


class Flow:
    """One device size: contexts per user, screenshots with a running number."""

    def __init__(self, browser, live_server, screenshot, size: str):
        self.browser = browser
        self.base = live_server.url
        self.screenshot = screenshot
        self.size = size
        self.contexts: list = []
        self.errors: list[str] = []

    def page(self, user, company, *, locale: str = "zh-CN"):
        width, height = SIZES[self.size]
        phone = self.size == "phone"
        ctx = self.browser.new_context(
            locale=locale,
            viewport={"width": width, "height": height},
            is_mobile=phone,
            has_touch=phone,
            accept_downloads=True,
        )
        ctx.set_default_timeout(20_000)
        ctx.add_cookies([session_cookie(user, self.base, company)])
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        page.on(
            "console",
            lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )
        return page

    def shoot(self, page, name: str) -> None:
        """Every lazy page image loaded, then a full-page screenshot from the top; the page must
        not be wider than the screen."""
        images = page.locator("img[loading=lazy]")
        for i in range(images.count()):
            images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
        )
        page.evaluate("() => window.scrollTo(0, 0)")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name}: the page is {overflow}px wider than the screen"
        path = self.screenshot(page, f"{name}-{self.size}")
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


def _click_to(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def _until(page, check, what: str, timeout: float = 10.0):
    """Wait for a database read to become true (the editor saves in the background)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if result := check():
            return result
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def _status(page, path: str) -> int:
    return page.request.get(page.url.split("/contracts/")[0] + path).status


def _to_sign_from_workbench(flow: Flow, page, title: str, who: str) -> None:
    page.goto(f"{flow.base}/contracts/")
    assert page.get_by_test_id("count-to_sign").inner_text() == "1"
    _click_to(page, page.get_by_test_id("tab-to_sign"))
    row = page.get_by_test_id("contract-row")
    assert row.count() == 1 and title in row.inner_text()
    flow.shoot(page, f"workbench-{who}")
    _click_to(page, row.get_by_test_id("sign-link"))
    assert "/sign/" in page.url
    page.wait_for_function("() => [...document.querySelectorAll('.sign-sheet > img')].length === 5")


def _drop_on_page(flow: Flow, page, page_no: int, fx: float, fy: float) -> None:
    """Drag the editor's placeholder onto a page with the mouse (desktop), or tap the
    placeholder and then the page (phone: the panel is not beside the pages)."""
    target = page.get_by_test_id(f"pos-page-{page_no}")
    if flow.size == "phone":
        page.get_by_test_id("place-chip").tap()
        assert page.get_by_test_id("place-chip").get_attribute("aria-pressed") == "true"
        target.scroll_into_view_if_needed()
        tb = target.bounding_box()
        target.tap(position={"x": tb["width"] * fx, "y": tb["height"] * fy})
        return
    target.scroll_into_view_if_needed()
    chip = page.get_by_test_id("place-chip").bounding_box()
    box = target.bounding_box()
    drop = (box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    assert 0 < drop[1] < SIZES["desktop"][1], "the drop point is off screen"
    page.mouse.move(chip["x"] + chip["width"] / 2, chip["y"] + chip["height"] / 2)
    page.mouse.down()
    page.mouse.move(chip["x"] - 30, chip["y"] + 30, steps=4)
    page.mouse.move(*drop, steps=10)
    page.mouse.up()


def _preview(version, page_no: int):
    """The stored page picture (PAGE width) of a version, as an RGB array."""
    import numpy as np
    from django.core.files.storage import default_storage
    from PIL import Image

    from chop.contracts import previews

    name = previews.preview_name(version.pk, previews.PAGE, page_no)
    with default_storage.open(name, "rb") as fh, Image.open(fh) as img:
        return np.asarray(img.convert("RGB")).astype(int)


def _ink(pixels, position, *, red: bool) -> int:
    """How many seal-red (or dark) pixels lie inside a position's box on an A4 page picture."""
    k = pixels.shape[1] / 210
    x0, y0 = int(position.x_mm * k), int(position.y_mm * k)
    side = int(position.size_mm * k)
    box = pixels[y0 : y0 + side, x0 : x0 + side]
    r, g, b = box[..., 0], box[..., 1], box[..., 2]
    if red:
        return int(((r > 170) & (g < 110) & (b < 110)).sum())
    return int(((r < 90) & (g < 90) & (b < 90)).sum())


def _verify_in_thread(fn, *args):
    """pyHanko's validator runs its own event loop: not on the thread Playwright's loop holds."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


@pytest.mark.parametrize("size", list(SIZES))
def test_contract_from_upload_to_signed_pdf(
    e2e_world, browser, live_server, screenshot, nss_db, tmp_path, size
):
    w = e2e_world
    started = time.monotonic()
    flow = Flow(browser, live_server, screenshot, size)
    title = "设备采购合同"
    data = pdf_pages(
        5,
        texts={
            0: [(72, 700, title)],
            4: [(90, 260, "甲方（盖章）"), (330, 260, "乙方（盖章）")],
        },
    )
    try:
        # 1. A's owner uploads the five pages
        a = flow.page(w["rep"], w["a"])
        a.goto(f"{flow.base}/contracts/new/")
        form = a.get_by_test_id("contract-upload")
        form.locator("input[name=title]").fill(title)
        form.locator("input[type=file]").set_input_files(
            files=[{"name": "设备采购合同.pdf", "mimeType": "application/pdf", "buffer": data}]
        )
        flow.shoot(a, "upload")
        _click_to(a, form.locator("button[type=submit]"))
        contract = Contract.objects.get(title=title)
        assert a.url.endswith(f"/contracts/{contract.pk}/")
        assert contract.current_version().page_count == 5
        detail = f"{flow.base}/contracts/{contract.pk}/"

        # 2. parties, in order: A (keeper stamps), B by name + USCC, the legal representative
        assert a.locator("input[name=order][value=sequential]").is_checked()
        a.get_by_test_id("initiator-form").locator("select").select_option(
            label=w["keeper"].display_name
        )
        _click_to(a, a.get_by_test_id("initiator-form").locator("button[type=submit]"))
        a.get_by_text("添加其他企业").click()
        company = a.get_by_test_id("company-form")
        company.locator("input[name=name]").fill(w["b"].name)
        company.locator("input[name=uscc]").fill(w["b"].uscc)
        _click_to(a, company.locator("button[type=submit]"))
        a.get_by_text("添加个人").first.click()
        person = a.get_by_test_id("person-form")
        person.locator("input[name=name]").fill(REP)
        person.locator("input[name=contact]").fill(w["rep"].phone)
        _click_to(a, person.locator("button[type=submit]"))
        rows = a.get_by_test_id("parties").locator("li")
        assert rows.count() == 3
        pa, pb, pr = contract.participants.order_by("position")
        assert (pa.company_id, pa.user_id) == (w["a"].pk, w["keeper"].pk)
        assert (pb.company_id, pb.user_id) == (w["b"].pk, None)
        assert (pr.kind, pr.user_id) == ("person", w["rep"].pk)
        contract.refresh_from_db()
        assert contract.order == "sequential"
        flow.shoot(a, "parties")

        # 3. the positions editor
        _click_to(a, a.get_by_test_id("place-seals"))
        a.wait_for_function("() => document.querySelector('.pos-editor-js') !== null")
        a.select_option("#pos-party", str(pa.pk))
        _drop_on_page(flow, a, 5, 0.25, 0.70)
        seal_pos = _until(
            a, lambda: Position.objects.filter(participant=pa, form="single").first(), "A's drop"
        )
        assert seal_pos.page == 5
        assert (
            abs(seal_pos.x_mm + 20 - 210 * 0.25) <= 3 and abs(seal_pos.y_mm + 20 - 297 * 0.7) <= 3
        )
        # a riding seal across all pages
        a.get_by_test_id("new-position").click()
        a.select_option("#pos-party", str(pa.pk))
        a.check("input[name=form][value=riding]")
        a.fill("#pos-pages-spec", "all")
        a.get_by_test_id("save-position").click()
        riding = _until(
            a, lambda: Position.objects.filter(participant=pa, form="riding").first(), "riding"
        )
        assert riding.pages == "all"
        a.wait_for_function(
            "(id) => document.querySelectorAll(`.pos-box[data-position='${id}']`).length === 5",
            arg=riding.pk,
        )
        # B at the keyword: Find shows the hit on page 5 before saving
        a.get_by_test_id("new-position").click()
        a.select_option("#pos-party", str(pb.pk))
        a.check("input[name=form][value=keyword]")
        a.fill("#pos-keyword", "乙方（盖章）")
        a.get_by_test_id("find-keyword").click()
        a.wait_for_function("() => document.querySelectorAll('.pos-hit').length === 1")
        assert (
            a.evaluate("() => document.querySelector('.pos-hit').closest('.pos-page').dataset.page")
            == "5"
        )
        assert not Position.objects.filter(participant=pb).exists()
        a.get_by_test_id("save-position").click()
        kw = _until(a, lambda: Position.objects.filter(participant=pb).first(), "B's keyword")
        assert (kw.form, kw.keyword) == ("keyword", "乙方（盖章）")
        # the legal representative's signature, lower on page 5
        a.get_by_test_id("new-position").click()
        a.select_option("#pos-party", str(pr.pk))
        _drop_on_page(flow, a, 5, 0.55, 0.86)
        rep_pos = _until(
            a, lambda: Position.objects.filter(participant=pr).first(), "the person's drop"
        )
        # a signature's default width, not the width of the position the panel showed before
        assert rep_pos.page == 5 and rep_pos.size_mm == positions.PERSON_SIZE_MM
        a.get_by_test_id("pos-page-5").scroll_into_view_if_needed()
        a.wait_for_function(
            "() => document.querySelectorAll('.pos-page[data-page=\"5\"] .pos-box').length === 4"
        )
        assert a.get_by_test_id("legend").locator("li").count() == 3
        flow.shoot(a, "positions")

        # 4. send
        a.goto(detail)
        assert a.get_by_test_id("send-problems").count() == 0
        _click_to(a, a.get_by_test_id("send"))
        contract.refresh_from_db()
        assert contract.state == "signing"
        assert "签署中" in a.locator("h1").inner_text()
        flow.shoot(a, "sent")

        # B before its turn: no document, no signing page, no page image
        b = flow.page(w["b_owner"], w["b"], locale="en-US" if size == "desktop" else "zh-CN")
        b.goto(detail)
        assert b.get_by_test_id("document-hidden").count() == 1
        assert b.get_by_test_id("page-thumbs").count() == 0
        assert _status(b, f"/contracts/{contract.pk}/sign/") == 404
        assert _status(b, f"/contracts/{contract.pk}/versions/1/pages/1/page.png") == 404
        assert _status(b, f"/contracts/{contract.pk}/versions/1/download/") == 404
        b.goto(f"{flow.base}/contracts/")
        assert b.get_by_test_id("count-to_sign").inner_text() == "0"
        assert b.get_by_test_id("count-waiting").inner_text() == "1"
        assert b.get_by_test_id("stat-sent").inner_text() == "0"  # A sent it, not B

        # A's keeper: the official seal, signing password
        k = flow.page(w["keeper"], w["a"])
        _to_sign_from_workbench(flow, k, title, "keeper")
        assert k.locator(".sign-box").count() == 6  # one seal on page 5 + five riding strips
        flow.shoot(k, "sign-keeper")
        official = official_seal(w["a"])
        k.locator(f"input[name=seal][value='{official.pk}']").check()
        k.locator("input[name=method][value=password]").check()
        k.get_by_test_id("sign-password").fill("keeper-pass-1")
        _click_to(k, k.get_by_test_id("sign-submit"))
        assert k.url.endswith(f"/contracts/{contract.pk}/")
        assert "已代表甲方科技有限公司完成签署" in k.locator(".messages").inner_text()

        # B at its turn: version 1 only, on the contract page and the signing page; a one-time
        # code by SMS (in English on the desktop)
        b.goto(detail)
        thumbs = b.eval_on_selector_all(".page-thumbs img", "els => els.map(e => e.src)")
        assert len(thumbs) == 5 and all("/versions/1/" in t for t in thumbs), thumbs
        assert b.get_by_test_id("download-v2").count() == 0
        assert b.get_by_test_id("download-v1").count() == 1
        _to_sign_from_workbench(flow, b, title, "b")
        sources = b.eval_on_selector_all(".sign-sheet > img", "els => els.map(e => e.src)")
        assert len(sources) == 5 and all("/versions/1/" in s for s in sources), sources
        assert _status(b, f"/contracts/{contract.pk}/versions/2/pages/5/page.png") == 404
        assert _status(b, f"/contracts/{contract.pk}/versions/2/download/") == 404
        if size == "desktop":
            assert "Sign: " in b.locator("h1").inner_text()
            assert "The document as sent" in b.get_by_test_id("sign-page").inner_text()
        if size == "phone":
            # the panel comes after five pages: the link at the top jumps to it
            b.get_by_test_id("to-sign-panel").click()
            b.wait_for_function(
                "() => { const r = document.getElementById('sign-panel').getBoundingClientRect();"
                " return r.top >= 0 && r.top < window.innerHeight / 2; }"
            )
        else:
            assert not b.get_by_test_id("to-sign-panel").is_visible()
        _click_to(b, b.get_by_test_id("send-sms"))
        assert b.get_by_test_id("code-sent").count() == 1
        b.get_by_test_id("sign-code").fill(outbox_codes(w["b_owner"].phone)[-1])
        flow.shoot(b, "sign-b")
        _click_to(b, b.get_by_test_id("sign-submit"))
        assert b.url.endswith(f"/contracts/{contract.pk}/")
        done = (
            "Signed for 乙方贸易有限公司" if size == "desktop" else "已代表乙方贸易有限公司完成签署"
        )
        assert done in b.locator(".messages").inner_text()

        # the legal representative: his own signature, by his signing password
        _to_sign_from_workbench(flow, a, title, "rep")
        assert a.get_by_test_id("seal-option").count() == 1
        a.locator(f"input[name=seal][value='{w['sig'].pk}']").check()
        a.locator("input[name=method][value=password]").check()
        a.get_by_test_id("sign-password").fill("rep-pass-1")
        flow.shoot(a, "sign-rep")
        _click_to(a, a.get_by_test_id("sign-submit"))
        assert a.url.endswith(f"/contracts/{contract.pk}/")

        # 5. completed: download the signed PDF through the page's button
        assert "已完成" in a.locator("h1").inner_text()
        assert a.get_by_test_id("signature-ok").count() == 3
        flow.shoot(a, "completed")
        with a.expect_download() as info:
            a.get_by_test_id("download-signed").click()
        final = tmp_path / "signed.pdf"
        info.value.save_as(final)
        assert not flow.errors, flow.errors
    finally:
        flow.close()
    browser_seconds = time.monotonic() - started

    contract.refresh_from_db()
    assert contract.state == "completed"
    assert contract.versions.count() == 4
    assert final.read_bytes() == contract.current_version().file.open("rb").read()
    acts = list(SigningAct.objects.filter(contract=contract).order_by("signed_at"))
    assert [x.participant_id for x in acts] == [pa.pk, pb.pk, pr.pk]
    assert [x.intent_method for x in acts] == ["password", "sms", "password"]
    assert [x.version.number for x in acts] == [2, 3, 4]
    assert acts[0].pages == [1, 2, 3, 4, 5] and acts[1].pages == [5] and acts[2].pages == [5]
    assert set(Participant.objects.filter(contract=contract).values_list("state", flat=True)) == {
        "signed"
    }

    # the contract page's pictures of the signed version show the seals, not only the strips
    final_page = _preview(contract.current_version(), 5)
    assert _ink(final_page, seal_pos, red=True) > 300, "A's seal is missing from the preview"
    assert _ink(final_page, rep_pos, red=False) > 100, "the signature is missing from the preview"

    report = _verify_in_thread(pyhanko_report, final)
    assert len(report.signatures) == 3, report.to_dict()
    for s in report.signatures:
        assert s.intact and s.valid and s.trusted and not s.problems, s
    assert report.verdict == "valid", report.summary

    out = subprocess.run(
        ["pdfsig", "-nssdir", nss_db(root_pem()), "-no-ocsp", str(final)],
        capture_output=True,
        text=True,
    )
    text = out.stdout + out.stderr
    assert len(re.findall(r"Signature Validation: Signature is Valid\.", text)) == 3, text
    assert len(re.findall(r"Certificate Validation: Certificate is Trusted\.", text)) == 3, text
    qpdf = subprocess.run(["qpdf", "--check", str(final)], capture_output=True, text=True)
    assert qpdf.returncode == 0 and "No syntax or stream encoding errors found" in qpdf.stdout
    assert browser_seconds < 90, f"the flow took {browser_seconds:.0f} s"
