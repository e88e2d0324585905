# ruff: noqa: F811  (pytest fixtures imported for use by name)
"""Records and evidence from end to end, in Debian's chromium, in Chinese (PRODUCT.md §5).

Two companies complete a contract (B's owner stamps first, then A's keeper, so the final PDF is
A's act). A's owner then works through the pages: 用印记录 (from the nav) lists the contract's
record; its proof page waits for a tree head, which the owner publishes from the 用印日志 tab, and
then says the record is included and its proof checks out; the CSV export of the filtered records
has a BOM, a header and one row per act. On the contract page the owner asks for the evidence
report and downloads it: pyHanko finds it intact, valid and trusted under the platform root, and
its text names the contract number and the log proof. A visitor with no session uploads the final
PDF to /verify-pdf/ (valid, trusted, with provenance) and a copy with one signed byte changed
(called out). The contract's log bundle passes ``python -m chop.ledger verify`` offline, and an
edited record in it is named by the verifier.

Screenshots at 1280 px and 390 px go to test-artifacts/ and /work/wt/shots/e2e13/ when present.
"""

from __future__ import annotations

import concurrent.futures
import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chop.contracts.models import Contract, StampRecord
from tests.conftest import session_cookie
from tests.contracts.signing_support import (
    latest_file,
    official_seal,
    pyhanko_report,
    root_pem,
    sign_as,
    signing_world,  # noqa: F401
)
from tests.contracts.test_signing_act import two_party_contract
from tests.seals.conftest import verified_company  # noqa: F401

from . import verify_support as vs
from .ledger_support import stamp
from .report_support import verify_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/wt/shots/e2e13")
SIZES = {"desktop": (1280, 860), "phone": (390, 844)}
NUMBER = "HT-2026-0713"


def _off_loop(fn, *args):
    """Run ``fn`` on another thread: pyHanko's validators call ``asyncio.run``, which must not
    find Playwright's loop running on this one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def _both(page, screenshot, name: str) -> Path:
    """Desktop and phone screenshots; on the phone the page must not scroll sideways. Returns
    the folder they went to."""
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        path = screenshot(page, f"{name}-{label}")
        if SHOTS.is_dir():
            shutil.copyfile(path, SHOTS / f"{name}-{label}.png")
        if label == "phone":
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name}: {overflow} px wider than a phone"
    page.set_viewport_size({"width": 1280, "height": 860})
    return path.parent


def _context(browser, live_server, user=None, company=None):
    ctx = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 860}, accept_downloads=True
    )
    ctx.set_default_timeout(30_000)
    if user is not None:
        ctx.add_cookies([session_cookie(user, live_server.url, company)])
    return ctx


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 BOM (for Excel)"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def _pyhanko_status(path: Path):
    """pyHanko's own validation of the one signature in ``path``, with the platform root."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chop.pki.ca import asn1_certificate
    from chop.seals.issuance import platform_ca

    reader = PdfFileReader(io.BytesIO(path.read_bytes()))
    (sig,) = reader.embedded_signatures
    roots = [asn1_certificate(platform_ca().root_certificate)]
    return validate_pdf_signature(sig, ValidationContext(trust_roots=roots))


def _ledger_verify(bundle: Path, root: Path, pdf: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chop.ledger", "verify", str(bundle), "--trust", str(root)]
        + ["--pdf", str(pdf)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def world(signing_world, tmp_path):
    """An earlier contract A stamped (so the log holds more than this one), and the contract of
    the test: B's owner stamps first, A's keeper last; with the files made before the browser."""
    w = signing_world
    stamp(w)  # an earlier contract, one record of company A
    contract, pa, pb = two_party_contract(w, order="parallel")
    Contract.objects.filter(pk=contract.pk).update(number=NUMBER)
    verify_person(w["a_keeper"], "甲方印章管理员")
    sign_as(pb, w["b_owner"], seal=official_seal(w["b"]))
    pa.refresh_from_db()
    sign_as(pa, w["a_keeper"], seal=official_seal(w["a"]))
    contract.refresh_from_db()
    assert contract.state == "completed"
    signed = latest_file(contract, tmp_path)
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(vs.tampered(signed.read_bytes()))
    root = tmp_path / "root.pem"
    root.write_bytes(root_pem())
    return w, contract, signed, tampered, root


def test_a_contract_from_its_stamps_to_proofs_report_and_public_check(
    world, browser, live_server, screenshot, settings, tmp_path
):
    import pypdfium2 as pdfium

    from chop.evidence.models import EvidenceReport

    settings.CHOP_VERIFY_PDF_PER_IP = 100
    w, contract, signed, tampered, root = world
    base = live_server.url
    a_seal, b_seal = official_seal(w["a"]), official_seal(w["b"])
    mine = StampRecord.objects.get(contract=contract, company=w["a"])
    theirs = StampRecord.objects.get(contract=contract, company=w["b"])
    assert mine.signed_sha256 != theirs.signed_sha256

    ctx = _context(browser, live_server, w["a_owner"], w["a"])
    page = ctx.new_page()

    # --- 1. 用印记录 from the nav: the contract's record, not B's ---------------------------------
    page.goto(f"{base}/")
    page.locator(".mainnav").get_by_role("link", name="用印记录").click()
    page.wait_for_url("**/records/stamps/")
    assert page.locator("h1").inner_text() == "用印记录"
    assert page.get_by_test_id("stamp-row").count() == 2  # the earlier contract and this one
    form = page.get_by_test_id("stamp-filters")
    form.locator("input[name=contract]").fill(NUMBER)
    form.get_by_role("button", name="筛选").click()
    page.wait_for_url("**contract=*")
    rows = page.get_by_test_id("stamp-row")
    assert rows.count() == 1
    row = rows.first
    assert a_seal.code in row.inner_text() and NUMBER in row.inner_text()
    assert b_seal.code not in page.get_by_test_id("stamps-table").inner_text()
    artifacts = _both(page, screenshot, "records")

    # --- 2. the CSV of the filtered records ----------------------------------------------------
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    rows_csv = _csv_rows(Path(info.value.path()).read_bytes())
    header, body = rows_csv[0], rows_csv[1:]
    assert header[:5] == ["记录号", "时间", "用印人", "签署方", "印章编码"], header
    at = {
        name: header.index(name)
        for name in ("印章编码", "合同编号", "证书序列号", "时间戳（TSA）时间")
    }
    assert [r[0] for r in body] == [str(mine.pk)], "one row per act of A on this contract"
    (line,) = body
    assert line[at["印章编码"]] == a_seal.code
    assert line[at["合同编号"]] == NUMBER
    assert line[at["证书序列号"]] == mine.certificate_serial
    assert line[at["时间戳（TSA）时间"]], "the TSA time of the stamp is recorded"
    page.get_by_test_id("export-status").filter(has_text="导出完成").wait_for()

    # --- 3. the record's proof: waiting, then published from the log tab, then included ---------
    row.get_by_test_id("proof-link").click()
    page.wait_for_url(f"**/records/stamps/{mine.pk}/proof/")
    assert page.get_by_test_id("proof-ok").count() == 0
    assert page.get_by_test_id("proof-bad").count() == 0
    status = page.get_by_test_id("proof-status").inner_text()
    assert "等待写入日志" in status or "尚未" in status, status
    _both(page, screenshot, "proof-waiting")

    page.goto(f"{base}/records/stamps/")
    page.get_by_test_id("tab-log").click()
    page.wait_for_url("**/records/log/")
    page.get_by_test_id("publish-now").click()
    page.get_by_test_id("heads-table").wait_for()
    assert "已发布包含 3 条记录的树头" in page.content()  # the earlier record, B's and A's
    _both(page, screenshot, "log-published")

    page.goto(f"{base}/records/stamps/{mine.pk}/proof/")
    assert page.get_by_test_id("proof-ok").inner_text() == "已收录：证明核验通过"
    assert page.locator('[data-testid="audit-path"] li').count() >= 1
    assert NUMBER in page.get_by_test_id("proof-record").inner_text()
    assert mine.signed_sha256 in page.get_by_test_id("proof-record").inner_text()
    _both(page, screenshot, "proof-included")

    # --- 4. the contract's log bundle, checked offline ----------------------------------------
    with page.expect_download() as info:
        page.get_by_role("link", name="本合同的证明包").click()
    bundle_path = tmp_path / "bundle.json"
    shutil.copyfile(info.value.path(), bundle_path)
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    assert [r["leaf"]["id"] for r in bundle["records"]] == [mine.pk]  # A's record only

    # --- 5. the evidence report -------------------------------------------------------------
    page.goto(f"{base}/contracts/{contract.pk}/")
    block = page.get_by_test_id("evidence-block")
    block.scroll_into_view_if_needed()
    block.get_by_test_id("evidence-request").click()
    page.wait_for_url(f"**/contracts/{contract.pk}/evidence/")
    report_row = page.get_by_test_id("evidence-report").first
    report_row.get_by_test_id("evidence-download").wait_for()  # the page refreshes itself
    assert report_row.get_attribute("data-state") == "ready"
    _both(page, screenshot, "evidence-ready")
    with page.expect_download() as info:
        report_row.get_by_test_id("evidence-download").click()
    report_pdf = tmp_path / "evidence.pdf"
    shutil.copyfile(info.value.path(), report_pdf)
    assert (
        EvidenceReport.objects.get(contract=contract).sha256
        == report_row.get_by_test_id("evidence-sha256").inner_text().strip()
    )
    ctx.close()

    # B's owner sees and exports B's act on the contract, never A's: one row per act in all
    ctx = _context(browser, live_server, w["b_owner"], w["b"])
    page = ctx.new_page()
    page.goto(f"{base}/records/stamps/?contract={NUMBER}")
    assert page.get_by_test_id("stamp-row").count() == 1
    assert a_seal.code not in page.get_by_test_id("stamps-table").inner_text()
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    (their_line,) = _csv_rows(Path(info.value.path()).read_bytes())[1:]
    assert their_line[0] == str(theirs.pk)
    assert their_line[at["印章编码"]] == b_seal.code and their_line[at["合同编号"]] == NUMBER
    ctx.close()

    # --- 6. a visitor checks the final PDF and a tampered copy on /verify-pdf/ ---------------
    visitor = _context(browser, live_server)
    page = visitor.new_page()
    page.goto(f"{base}/verify-pdf/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("验签")

    def upload(path: Path) -> None:
        page.get_by_test_id("verify-form").locator('input[type="file"]').set_input_files(str(path))
        page.get_by_test_id("verify-submit").click()
        page.wait_for_load_state("domcontentloaded")

    upload(signed)
    result = page.get_by_test_id("verify-result")
    assert result.get_attribute("data-verdict") == "valid"
    assert "有效：所有签名完整、有效且可信" in result.inner_text()
    assert page.get_by_test_id("verify-signature").count() == 2
    provenance = page.get_by_test_id("sig-provenance")
    assert provenance.count() == 2
    shown = " ".join(provenance.nth(i).inner_text() for i in range(2))
    assert a_seal.code in shown and b_seal.code in shown
    assert "第 3 版" in page.get_by_test_id("verify-known").inner_text()
    _both(page, screenshot, "verify-valid")

    upload(tampered)
    result = page.get_by_test_id("verify-result")
    assert result.get_attribute("data-verdict") == "invalid"
    assert "无效" in result.inner_text()
    first = page.get_by_test_id("verify-signature").first
    assert "不完整" in first.get_by_test_id("check-intact").inner_text()
    assert "签名覆盖的字节范围内被改动" in first.get_by_test_id("sig-problems").inner_text()
    assert page.get_by_test_id("verify-known").count() == 0
    _both(page, screenshot, "verify-tampered")
    visitor.close()

    # --- the evidence report: pyHanko, its text, page 1 as a picture --------------------------
    checked = _off_loop(pyhanko_report, report_pdf)
    assert len(checked.signatures) == 1
    sig = checked.signatures[0]
    assert sig.intact and sig.valid and sig.trusted, sig
    assert sig.pades_level == "B-T" and sig.coverage == "entire file"
    status = _off_loop(_pyhanko_status, report_pdf)  # and pyHanko's own validator agrees
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    doc = pdfium.PdfDocument(str(report_pdf))
    text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert NUMBER in text
    assert "已纳入日志" in text, "the report carries the log proof of the contract's records"
    # its event log reads in the order things happened: each act, then what it caused
    actions = [e["action"] for e in EvidenceReport.objects.get(contract=contract).data["events"]]
    signed_at = [i for i, a in enumerate(actions) if a == "contract.signed"]
    finished_at = [i for i, a in enumerate(actions) if a == "contract.party_signed"]
    assert len(signed_at) == len(finished_at) == 2, actions
    assert all(s < f for s, f in zip(signed_at, finished_at, strict=True)), actions
    assert actions[-1] == "contract.completed", actions
    for i in range(len(doc)):  # no page carries only its page number
        body = doc[i].get_textpage().get_text_range().replace(f"{i + 1} / {len(doc)}", "")
        assert body.strip(), f"page {i + 1} of {len(doc)} of the evidence report is blank"
    for i in range(len(doc)):  # every page as a picture, to look at (page 1 above all)
        out = artifacts / f"evidence-report-page{i + 1}.png"
        doc[i].render(scale=2).to_pil().save(out)
        if SHOTS.is_dir():
            shutil.copyfile(out, SHOTS / out.name)
    doc.close()

    # --- the offline verifier: the bundle proves A's record and the final PDF -------------------
    ok = _ledger_verify(bundle_path, root, signed)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"OK    record {mine.pk} (leaf " in ok.stdout
    assert f"{signed}: the signed PDF of record {mine.pk}" in ok.stdout
    assert "all checks pass" in ok.stdout

    edited = json.loads(bundle_path.read_text(encoding="utf-8"))
    edited["records"][0]["leaf"]["seal"]["code"] = b_seal.code  # claim B's seal stamped it
    bad_path = tmp_path / "edited.json"
    bad_path.write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    bad = _ledger_verify(bad_path, root, signed)
    assert bad.returncode != 0, bad.stdout
    assert f"FAIL  record {mine.pk} (leaf " in bad.stdout
    assert "altered" in bad.stdout
