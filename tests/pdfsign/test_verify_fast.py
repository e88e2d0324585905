"""``verify``'s direct checks give the report pyHanko's full validation gives, file by file.

Every document of the corpus — good, tampered, several revisions, B-B and B-T, classic
cross-reference tables and object streams — is verified twice: through the direct checks
(``fastverify``) and through pyHanko's validator alone (``fast=False``, the former path), and the
two reports must be equal field by field. For the good documents the test also checks that the
direct path really was taken (no pyHanko validation, no difference analysis), so an equality that
only holds because everything fell back cannot pass for a fast one.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from chop import pdfsign as ps
from tests.support.pdfsign_testing import TestPKI, demo_seal


class Calls:
    """Counts pyHanko's signature validation and difference analysis during one ``verify``."""

    def __init__(self, monkeypatch) -> None:
        import pyhanko.sign.validation as validation
        from pyhanko.sign.diff_analysis import StandardDiffPolicy

        self.validations = 0
        self.diffs = 0
        real_validate = validation.validate_pdf_signature
        real_review = StandardDiffPolicy.review_file

        def validate(*a, **kw):
            self.validations += 1
            return real_validate(*a, **kw)

        def review(policy, *a, **kw):
            self.diffs += 1
            return real_review(policy, *a, **kw)

        monkeypatch.setattr(validation, "validate_pdf_signature", validate)
        monkeypatch.setattr(StandardDiffPolicy, "review_file", review)

    def reset(self) -> None:
        self.validations = self.diffs = 0


@pytest.fixture
def calls(monkeypatch):
    return Calls(monkeypatch)


def same_report(path: Path, roots, calls: Calls | None = None) -> ps.VerificationReport:
    """Verify both ways, assert the reports are equal, return the fast one."""
    slow = ps.verify(path, roots, fast=False)
    if calls is not None:
        calls.reset()
    fast = ps.verify(path, roots)
    a, b = fast.to_dict(), slow.to_dict()
    for x, y in zip(a["signatures"], b["signatures"], strict=True):
        assert x == y, {k: (x[k], y[k]) for k in x if x[k] != y[k]}
    assert a == b
    return fast


def objstm(src: Path, dst: Path) -> Path:
    """``src`` rewritten by qpdf with object streams (as most PDF 1.5+ producers write)."""
    qpdf = shutil.which("qpdf")
    assert qpdf, "qpdf is needed (Debian package qpdf)"
    subprocess.run([qpdf, "--object-streams=generate", str(src), str(dst)], check=True)
    assert b"/ObjStm" in dst.read_bytes()
    return dst


def acts(src: Path, tmp: Path, signers, tsa, n: int = 3) -> list[Path]:
    """``n`` Chop signing acts in a row; act 1 has a keyword seal and a riding seal."""
    out, cur = [], src
    for i in range(n):
        dst = tmp / f"{src.stem}-act{i + 1}.pdf"
        if i == 0:
            marks = [ps.KeywordMark(demo_seal(40), "Party A (Seal)"), ps.RidingMark(demo_seal(40))]
        else:
            marks = [ps.SingleMark(demo_seal(30), 1 + i % 4, 30 + 30 * (i % 5), 60 + 60 * (i // 5))]
        ps.sign(
            cur,
            dst,
            signer=signers[i % len(signers)],
            marks=marks,
            options=ps.SignOptions(timestamper=tsa),
        )
        out.append(dst)
        cur = dst
    return out


def append_revision(src: Path, dst: Path, edit) -> Path:
    """``edit(writer)`` appended as an incremental update, as an attacker's tool would."""
    w = IncrementalPdfFileWriter(io.BytesIO(src.read_bytes()), strict=False)
    edit(w)
    out = io.BytesIO()
    w.write(out)
    dst.write_bytes(out.getvalue())
    return dst


def _page(w, i):
    ref = w.root["/Pages"]["/Kids"].raw_get(i)
    return ref.get_object()


@pytest.fixture
def signers(signer_a, signer_b, signer_p):
    return [signer_a, signer_b, signer_p]


@pytest.mark.parametrize("layout", ["classic", "objstm"])
@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_good_documents_take_the_direct_path(
    contract, tmp_path, signers, tsa, pki, calls, layout, level
):
    src = contract if layout == "classic" else objstm(contract, tmp_path / "objstm.pdf")
    docs = acts(src, tmp_path, signers, tsa if level == "B-T" else None, n=4)
    for n, doc in enumerate(docs, 1):
        report = same_report(doc, [pki.root_certificate], calls)
        assert report.verdict == "valid" and len(report.signatures) == n
        assert (calls.validations, calls.diffs) == (0, 0)
        assert {s.pades_level for s in report.signatures} == {level}
        if n > 1:
            assert report.signatures[0].modification_level == "form-filling"


def test_ten_signatures(contract, tmp_path, signers, pki, calls):
    doc = acts(contract, tmp_path, signers, None, n=10)[-1]
    report = same_report(doc, [pki.root_certificate], calls)
    assert report.verdict == "valid" and len(report.signatures) == 10
    assert (calls.validations, calls.diffs) == (0, 0)


def test_other_trust_root_is_reported_the_same(contract, tmp_path, signers, tsa, calls):
    doc = acts(contract, tmp_path, signers, tsa, n=2)[-1]
    report = same_report(doc, [TestPKI("Someone Else").root_certificate], calls)
    assert report.verdict == "valid-untrusted"
    assert calls.validations == 2  # nothing chains: pyHanko says why


def test_byte_flip_is_reported_the_same(contract, tmp_path, signers, tsa, pki):
    doc = acts(contract, tmp_path, signers, tsa)[-1]
    data = bytearray(doc.read_bytes())
    data[data.index(b"Contract No. 2026-001") + 9] ^= 0x01
    bad = tmp_path / "flip.pdf"
    bad.write_bytes(bytes(data))
    report = same_report(bad, [pki.root_certificate])
    assert report.verdict == "invalid" and not any(s.intact for s in report.signatures)


@pytest.mark.parametrize("layout", ["classic", "objstm"])
@pytest.mark.parametrize("tamper", ["page-added", "content", "forged-stamp", "page-removed"])
def test_changes_after_signing_are_reported_the_same(
    contract, tmp_path, signers, tsa, pki, layout, tamper
):
    src = contract if layout == "classic" else objstm(contract, tmp_path / "objstm.pdf")
    a1, a2 = acts(src, tmp_path, signers, tsa, n=2)

    def page_added(w):
        pages = w.root["/Pages"]
        page = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/Parent"): w.root.raw_get("/Pages"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (0, 0, 595, 842)]
                ),
            }
        )
        pages["/Kids"].append(w.add_object(page))
        pages[generic.NameObject("/Count")] = generic.NumberObject(int(pages["/Count"]) + 1)
        w.update_container(pages)

    def content(w):
        page = _page(w, 0)
        page[generic.NameObject("/Contents")] = w.add_object(
            generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 700 Td (Amount: 1,000,000) Tj ET")
        )
        w.update_container(page)

    def forged_stamp(w):
        page = _page(w, 1)
        stamp = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Stamp"),
                generic.NameObject("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (10, 10, 100, 100)]
                ),
                generic.NameObject("/F"): generic.NumberObject(644),
                generic.NameObject("/NM"): generic.TextStringObject("chop-seal:Signature2:9"),
            }
        )
        page[generic.NameObject("/Annots")] = generic.ArrayObject(
            [*page.get("/Annots", []), w.add_object(stamp)]
        )
        w.update_container(page)

    def page_removed(w):
        pages = w.root["/Pages"]
        del pages["/Kids"][-1]
        pages[generic.NameObject("/Count")] = generic.NumberObject(len(pages["/Kids"]))
        w.update_container(pages)

    edit = {
        "page-added": page_added,
        "content": content,
        "forged-stamp": forged_stamp,
        "page-removed": page_removed,
    }[tamper]
    bad = append_revision(a2, tmp_path / "bad.pdf", edit)
    report = same_report(bad, [pki.root_certificate])
    assert report.verdict == "invalid"
    assert all(s.modification_level == "other" for s in report.signatures)
    # and a further, genuine signing act does not launder the change
    worse = tmp_path / "bad-then-signed.pdf"
    ps.sign(bad, worse, signer=signers[2], marks=[ps.SingleMark(demo_seal(18), 1, 20, 20)])
    report = same_report(worse, [pki.root_certificate])
    assert report.verdict == "invalid"
    assert [s.ok for s in report.signatures] == [False, False, True]


def test_unlocked_stamp_in_a_signing_act_is_reported_the_same(
    contract, tmp_path, signers, tsa, pki
):
    a1 = acts(contract, tmp_path, signers, tsa, n=1)[0]
    signed = tmp_path / "b.pdf"
    seal = demo_seal(30)
    marks = [ps.SingleMark(seal, 2, 20, 20), ps.SingleMark(seal, 3, 20, 20)]  # a stamp on page 3
    ps.sign(a1, signed, signer=signers[1], marks=marks)
    data = signed.read_bytes()
    i = data.rindex(b"/F 644")
    assert i > len(a1.read_bytes())
    bad = tmp_path / "unlocked.pdf"
    bad.write_bytes(data[:i] + b"/F 4  " + data[i + 6 :])
    report = same_report(bad, [pki.root_certificate])
    assert report.verdict == "invalid"
    assert report.signatures[0].modification_level == "other"


def test_reference_planted_before_signing_is_reported_the_same(
    contract, tmp_path, signers, pki, calls
):
    """A page that already points at an object number nobody has used yet, which a later
    signing act then fills in (here with its seal's appearance): the page's content changes
    under the first signature although the later revision looks like a plain signing act."""
    probe = acts(contract, tmp_path, signers[:1], None, n=1)[0]
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(probe, "rb") as fh:
        size = int(PdfFileReader(fh, strict=False).trailer["/Size"])

    def plant(w):
        page = _page(w, 0)
        planted = [generic.IndirectObject(n, 0, w) for n in range(size + 1, size + 12)]
        page[generic.NameObject("/Contents")] = generic.ArrayObject(
            [page.raw_get("/Contents"), *planted]
        )
        w.update_container(page)

    planted = append_revision(contract, tmp_path / "planted.pdf", plant)
    a1, a2 = acts(planted, tmp_path, signers[:2], None, n=2)
    with open(a1, "rb") as fh:
        assert size < int(PdfFileReader(fh, strict=False).trailer["/Size"]) < size + 30
    report = same_report(a2, [pki.root_certificate], calls)
    assert report.signatures[0].modification_level == "other"
    assert report.verdict == "invalid"
    assert calls.diffs == 1  # the recogniser saw the planted reference and asked pyHanko


def test_unsigned_revision_after_the_last_signature_is_reported_the_same(
    contract, tmp_path, signers, tsa, pki
):
    a2 = acts(contract, tmp_path, signers, tsa, n=2)[-1]

    def info(w):
        w.set_info(
            generic.DictionaryObject({generic.NameObject("/Title"): generic.pdf_string("x")})
        )

    later = append_revision(a2, tmp_path / "later.pdf", info)
    report = same_report(later, [pki.root_certificate])
    assert report.signatures[-1].changes_after != "nothing"
