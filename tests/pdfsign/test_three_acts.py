"""Three signing acts in sequence; earlier signatures stay valid in every validator.

Act 1: company A's official seal (on "Party A (Seal)") plus a riding seal over all pages.
Act 2: company B's contract seal on page 1 plus its own riding seal on the bottom edge.
Act 3: a person's handwritten signature with the date.
"""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY

from chop import pdfsign as ps
from tests.support.pdfsign_testing import demo_seal

from .conftest import pdfsig_trusted_count, pdfsig_valid_count


@pytest.fixture
def three_acts(contract, tmp_path, signer_a, signer_b, signer_p, seal, tsa):
    a1, a2, a3 = tmp_path / "a1.pdf", tmp_path / "a2.pdf", tmp_path / "a3.pdf"
    ps.sign(
        contract,
        a1,
        signer=signer_a,
        marks=[ps.KeywordMark(seal, "Party A (Seal)"), ps.RidingMark(seal, "right")],
        options=ps.SignOptions(timestamper=tsa),
    )
    ps.sign(
        a1,
        a2,
        signer=signer_b,
        marks=[ps.SingleMark(demo_seal(38), 1, 130, 220), ps.RidingMark(demo_seal(38), "bottom")],
        options=ps.SignOptions(timestamper=tsa),
    )
    ps.sign(
        a2,
        a3,
        signer=signer_p,
        marks=[ps.SingleMark(demo_seal(18), 4, 150, 230, date=ps.DateText())],
        options=ps.SignOptions(timestamper=tsa),
    )
    return a1, a2, a3


def test_three_acts_validate_everywhere(
    three_acts, assert_signed_ok, company_a, company_b, person, nssdb
):
    a1, a2, a3 = three_acts
    # poppler, given the platform root, trusts all three signers
    trusted, text = pdfsig_trusted_count(a3, nssdb)
    assert trusted == 3, text
    assert_signed_ok(a1, 1)
    assert_signed_ok(a2, 2)
    report = assert_signed_ok(a3, 3)
    s1, s2, s3 = report.signatures
    assert (s1.company, s2.company, s3.signer) == ("甲方科技有限公司", "乙方贸易有限公司", "张三")
    assert s1.certificate_serial == format(company_a.serial, "x")
    assert s3.certificate_serial == format(person.serial, "x")
    # later acts are seen as signing, not tampering: form filling, never "other"
    assert s1.modification_level == "form-filling" and s2.modification_level == "form-filling"
    assert s1.changes_after == (
        "later signatures (Signature2, Signature3) and their seal marks only"
    )
    assert s1.later_signatures == ["Signature2", "Signature3"] and s3.later_signatures == []
    assert s3.coverage == "entire file" and s3.changes_after == "nothing"
    assert all(s.pades_level == "B-T" for s in report.signatures)
    assert report.verdict == "valid"
    # each act is exactly one incremental update: revisions = original + 3
    assert report.revisions == 4
    assert a3.read_bytes().startswith(a2.read_bytes())


def test_default_pyhanko_policy_would_flag_later_riding_strips(three_acts, pki):
    """Why CHOP_DIFF_POLICY exists: the stock policy calls act 2's stamps suspicious."""
    from pyhanko.sign.diff_analysis import SuspiciousModification

    _, _, a3 = three_acts
    r = PdfFileReader(open(a3, "rb"), strict=False)  # noqa: SIM115
    first = r.embedded_signatures[0]
    result = DEFAULT_DIFF_POLICY.review_file(r, first.signed_revision)
    assert isinstance(result, SuspiciousModification)
    from chop.pdfsign.policy import CHOP_DIFF_POLICY

    ok = CHOP_DIFF_POLICY.review_file(r, first.signed_revision)
    assert not isinstance(ok, SuspiciousModification), ok


def _append_revision(src, dst, edit):
    """Apply ``edit(writer)`` as an incremental update (what an attacker's tool would do)."""
    data = src.read_bytes()
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    edit(w)
    out = io.BytesIO()
    w.write(out)
    dst.write_bytes(out.getvalue())


def _page(w, i):
    ref = w.root["/Pages"]["/Kids"].raw_get(i)
    return ref.get_object(), ref.reference


def test_page_added_after_signing_is_reported(three_acts, tmp_path, pki):
    a1, _, _ = three_acts
    bad = tmp_path / "added.pdf"

    def add_page(w):
        pages = w.root["/Pages"]
        content = w.add_object(
            generic.StreamObject(stream_data=b"BT /F1 20 Tf 72 700 Td (Extra) Tj ET")
        )
        page = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/Parent"): w.root.raw_get("/Pages"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(0)] * 2
                    + [generic.NumberObject(595), generic.NumberObject(842)]
                ),
                generic.NameObject("/Contents"): content,
            }
        )
        ref = w.add_object(page)
        pages["/Kids"].append(ref)
        pages[generic.NameObject("/Count")] = generic.NumberObject(int(pages["/Count"]) + 1)
        w.update_container(pages)

    _append_revision(a1, bad, add_page)
    # pdfsig only checks the signed bytes, so it still says valid: the diff analysis is what catches it
    report = ps.verify(bad, [pki.root_certificate])
    s = report.signatures[0]
    assert s.intact and s.valid
    assert s.modification_level == "other"
    assert "modified after signing" in s.changes_after
    assert report.verdict == "invalid" and not report.all_valid


def test_content_change_after_signing_is_reported(three_acts, tmp_path, pki):
    _, a2, _ = three_acts
    bad = tmp_path / "content.pdf"

    def change(w):
        page, _ = _page(w, 0)
        page[generic.NameObject("/Contents")] = w.add_object(
            generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 700 Td (Amount: 1,000,000) Tj ET")
        )
        w.update_container(page)

    _append_revision(a2, bad, change)
    report = ps.verify(bad, [pki.root_certificate])
    assert [s.modification_level for s in report.signatures] == ["other", "other"]
    assert report.verdict == "invalid"


def test_forged_seal_stamp_without_signature_is_reported(three_acts, tmp_path, pki):
    """A stamp dressed as a Chop seal but added without a signing act is not accepted."""
    _, a2, _ = three_acts
    bad = tmp_path / "forged.pdf"

    def forge(w):
        page, page_ref = _page(w, 1)
        annot = w.add_object(
            generic.DictionaryObject(
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
        )
        page[generic.NameObject("/Annots")] = generic.ArrayObject([*page.get("/Annots", []), annot])
        w.update_container(page)

    _append_revision(a2, bad, forge)
    report = ps.verify(bad, [pki.root_certificate])
    assert all(s.modification_level == "other" for s in report.signatures)
    assert report.verdict == "invalid"


def test_byte_flip_is_not_intact(three_acts, tmp_path, pki):
    _, _, a3 = three_acts
    data = bytearray(a3.read_bytes())
    i = data.index(b"Contract No. 2026-001")
    data[i + 9] ^= 0x01  # "Contract No" -> text changed inside every signed range
    bad = tmp_path / "flip.pdf"
    bad.write_bytes(bytes(data))
    report = ps.verify(bad, [pki.root_certificate])
    assert all(not s.intact for s in report.signatures)
    assert report.verdict == "invalid"
    assert "changed inside the signed bytes" in report.signatures[0].problems[0]
    count, _ = pdfsig_valid_count(bad)
    assert count == 0


def test_brief_scenario_passes_even_pyhankos_default_policy(
    contract, tmp_path, signer_a, signer_b, signer_p, seal, tsa, pki
):
    """A: official seal + riding seal; B: contract seal on page 1; a person's signature.

    Later acts that add only their signature widget are form filling for every validator, so
    here pyHanko's *stock* policy agrees with ours: all three signatures have a good bottom line.
    """
    import logging

    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chop.pdfsign.verify import _load_roots

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    a1, a2, a3 = tmp_path / "a1.pdf", tmp_path / "a2.pdf", tmp_path / "a3.pdf"
    ps.sign(
        contract,
        a1,
        signer=signer_a,
        marks=[ps.KeywordMark(seal, "甲方（盖章）"), ps.RidingMark(seal)],
        options=ps.SignOptions(timestamper=tsa),
    )
    ps.sign(
        a1,
        a2,
        signer=signer_b,
        marks=[ps.SingleMark(demo_seal(38), 1, 130, 220)],
        options=ps.SignOptions(timestamper=tsa),
    )
    ps.sign(
        a2,
        a3,
        signer=signer_p,
        marks=[ps.SingleMark(demo_seal(18), 4, 150, 240, date=ps.DateText())],
        options=ps.SignOptions(timestamper=tsa),
    )
    count, text = pdfsig_valid_count(a3)
    assert count == 3, text
    r = PdfFileReader(open(a3, "rb"), strict=False)  # noqa: SIM115
    levels = []
    for s in r.embedded_signatures:
        st = validate_pdf_signature(
            s, ValidationContext(trust_roots=_load_roots([pki.root_certificate]))
        )
        assert st.intact and st.valid and st.trusted and st.bottom_line, st.summary()
        levels.append(st.modification_level.name)
    assert levels == ["FORM_FILLING", "FORM_FILLING", "NONE"]


def test_page_removed_after_signing_is_reported(three_acts, tmp_path, pki):
    a1, _, _ = three_acts
    bad = tmp_path / "removed.pdf"

    def remove_page(w):
        pages = w.root["/Pages"]
        kids = pages["/Kids"]
        del kids[-1]
        pages[generic.NameObject("/Count")] = generic.NumberObject(len(kids))
        w.update_container(pages)

    _append_revision(a1, bad, remove_page)
    report = ps.verify(bad, [pki.root_certificate])
    assert report.signatures[0].modification_level == "other"
    assert report.verdict == "invalid"


def test_unlocked_seal_stamp_is_not_accepted(three_acts, tmp_path, pki, signer_b, seal):
    """Our own stamps are locked; an editable look-alike added in a signing revision is not."""
    from pyhanko.sign.diff_analysis import SuspiciousModification

    from chop.pdfsign.policy import CHOP_DIFF_POLICY

    a1, _, _ = three_acts
    signed = tmp_path / "b.pdf"
    ps.sign(
        a1,
        signed,
        signer=signer_b,
        marks=[ps.SingleMark(seal, 2, 20, 20), ps.SingleMark(seal, 3, 20, 20)],
    )
    data = signed.read_bytes()
    # flip the stamp's flags from 644 (print, locked, locked contents) to 4 (print only); the
    # same length keeps the file readable, and this revision's signature then no longer covers
    # what it says, but the diff analysis for signature 1 must still reject the stamp
    i = data.rindex(b"/F 644")  # the stamp of the last act (act 1's own stamps come earlier)
    tampered = data[:i] + b"/F 4  " + data[i + 6 :]
    assert tampered != data
    bad = tmp_path / "unlocked.pdf"
    bad.write_bytes(tampered)
    r = PdfFileReader(open(bad, "rb"), strict=False)  # noqa: SIM115
    result = CHOP_DIFF_POLICY.review_file(r, r.embedded_signatures[0].signed_revision)
    assert isinstance(result, SuspiciousModification) and "not locked" in str(result)


def test_seal_stamp_of_an_empty_signature_field_is_reported(three_acts, tmp_path, pki):
    """An unsigned signature field cannot vouch for a seal stamp."""
    _, a2, _ = three_acts
    bad = tmp_path / "empty-field.pdf"

    def forge(w):
        page, _ = _page(w, 1)
        page_ref = w.root["/Pages"]["/Kids"].raw_get(1)
        field = w.add_object(
            generic.DictionaryObject(
                {
                    generic.NameObject("/FT"): generic.NameObject("/Sig"),
                    generic.NameObject("/T"): generic.TextStringObject("Ghost"),
                    generic.NameObject("/Type"): generic.NameObject("/Annot"),
                    generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
                    generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4),
                    generic.NameObject("/P"): page_ref,
                }
            )
        )
        annot = w.add_object(
            generic.DictionaryObject(
                {
                    generic.NameObject("/Type"): generic.NameObject("/Annot"),
                    generic.NameObject("/Subtype"): generic.NameObject("/Stamp"),
                    generic.NameObject("/Rect"): generic.ArrayObject(
                        [generic.NumberObject(v) for v in (10, 10, 100, 100)]
                    ),
                    generic.NameObject("/F"): generic.NumberObject(644),
                    generic.NameObject("/NM"): generic.TextStringObject("chop-seal:Ghost:1"),
                    generic.NameObject("/AP"): generic.DictionaryObject(
                        {
                            generic.NameObject("/N"): w.add_object(
                                generic.StreamObject(
                                    {
                                        generic.NameObject("/Type"): generic.NameObject("/XObject"),
                                        generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                                        generic.NameObject("/BBox"): generic.ArrayObject(
                                            [generic.NumberObject(v) for v in (0, 0, 90, 90)]
                                        ),
                                    },
                                    stream_data=b"1 0 0 rg 0 0 90 90 re f",
                                )
                            ),
                        }
                    ),
                }
            )
        )
        page[generic.NameObject("/Annots")] = generic.ArrayObject(
            [*page.get("/Annots", []), field, annot]
        )
        w.update_container(page)
        form = w.root["/AcroForm"]
        form["/Fields"].append(field)
        w.update_container(form)

    _append_revision(a2, bad, forge)
    report = ps.verify(bad, [pki.root_certificate])
    assert all(s.modification_level == "other" for s in report.signatures), [
        s.changes_after for s in report.signatures
    ]
    assert "not signed" in report.signatures[0].changes_after
