"""Defects found by signing real-world PDFs, each pinned by an input built like the real file.

Every outcome is judged by tools nobody here wrote: pyHanko's validator with its *stock*
difference policy and the platform root as the only trust anchor, poppler's ``pdfsig``,
``qpdf --check``; and Chop's own ``verify`` must say the same.
"""

from __future__ import annotations

import io
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from chop import pdfsign as ps
from tests.support.pdfsign_testing import demo_seal, make_pdf

from .conftest import pdfsig_trusted_count

# annotation dictionaries written inline in /Annots, as some producers do
_INLINE_ANNOTS = {
    0: b"/Annots [<< /Type /Annot /Subtype /Square /Rect [60 600 200 700] /C [0 0 1] "
    b"/BS << /W 4 >> /F 4 >> << /Type /Annot /Subtype /Text /Rect [300 700 320 720] "
    b"/Contents (reviewed) /F 4 >>]",
    1: b"/Annots [<< /Type /Annot /Subtype /Link /Rect [72 72 200 90] /Border [0 0 0] "
    b"/A << /S /URI /URI (https://example.com/) >> >>]",
}


def stock_pyhanko(path: Path, pki) -> list:
    """pyHanko's own validator and default difference policy, trusting only the root."""
    r = PdfFileReader(io.BytesIO(path.read_bytes()), strict=False)
    out = []
    for sig in r.embedded_signatures:
        vc = ValidationContext(trust_roots=[_asn1(pki.root_certificate)])
        out.append(
            validate_pdf_signature(
                sig, signer_validation_context=vc, diff_policy=DEFAULT_DIFF_POLICY
            )
        )
    return out


def _asn1(cert):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _page_annots(path: Path) -> list[list]:
    r = PdfFileReader(io.BytesIO(path.read_bytes()), strict=False)
    pages = []
    for kid in r.root["/Pages"]["/Kids"]:
        page = kid.get_object()
        raw = page.raw_get("/Annots") if "/Annots" in page else generic.ArrayObject()
        pages.append(list(raw.get_object()))
    return pages


def test_inline_annotations_keep_the_first_signature_valid(
    tmp_path, pki, signer_a, signer_b, signer_p, seal, tsa, assert_signed_ok, nssdb
):
    src = tmp_path / "inline.pdf"
    src.write_bytes(make_pdf(3, page_extra=_INLINE_ANNOTS))
    assert not all(isinstance(a, generic.IndirectObject) for a in _page_annots(src)[0])
    a1, a2, a3 = tmp_path / "a1.pdf", tmp_path / "a2.pdf", tmp_path / "a3.pdf"
    # act 1 touches page 3 only; the inline annotations sit on pages 1 and 2
    ps.sign(
        src, a1, signer=signer_a, marks=[ps.SingleMark(seal, 3, 100, 150)],
        options=ps.SignOptions(timestamper=tsa),
    )  # fmt: skip
    # act 2 puts its seal on page 1, next to the inline annotations
    ps.sign(
        a1, a2, signer=signer_b, marks=[ps.SingleMark(demo_seal(38), 1, 120, 200)],
        options=ps.SignOptions(timestamper=tsa),
    )  # fmt: skip
    # the first act left every /Annots entry indirect, and kept every annotation
    pages = _page_annots(a2)
    assert [len(p) for p in pages] == [3, 1, 1]
    assert all(isinstance(a, generic.IndirectObject) for p in pages for a in p)
    subtypes = sorted(str(a.get_object()["/Subtype"]) for p in pages for a in p)
    assert subtypes == ["/Link", "/Square", "/Text", "/Widget", "/Widget"]

    # stock pyHanko: both signatures intact, valid, trusted; after the first only form filling
    first, second = stock_pyhanko(a2, pki)
    assert first.bottom_line and second.bottom_line, (first.pretty_print_details(),)
    assert first.modification_level <= ModificationLevel.FORM_FILLING
    assert first.docmdp_ok
    # poppler: both valid and trusted; qpdf clean; Chop's verify agrees and says the right thing
    assert pdfsig_trusted_count(a2, nssdb)[0] == 2
    report = assert_signed_ok(a2, 2)
    s1 = report.signatures[0]
    assert s1.changes_after == "later signatures (Signature2) and their seal marks only"
    assert not any("certification" in p for p in s1.problems)

    # a third act with a riding seal over every page (Chop's policy) keeps all three valid
    ps.sign(
        a2, a3, signer=signer_p, marks=[ps.RidingMark(seal, "right")],
        options=ps.SignOptions(timestamper=tsa),
    )  # fmt: skip
    n, text = pdfsig_trusted_count(a3, nssdb)
    assert n == 3, text
    assert_signed_ok(a3, 3)


def test_approval_signature_is_not_called_a_certification(tmp_path, pki, signer_a, seal, tsa):
    """A change after an approval signature is reported as such, never as a DocMDP breach."""
    src = tmp_path / "plain.pdf"
    src.write_bytes(make_pdf(1))
    signed = tmp_path / "s.pdf"
    ps.sign(src, signed, signer=signer_a, marks=[ps.SingleMark(seal, 1, 20, 20)])
    # someone appends a page-content change with pyHanko's writer
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()), strict=False)
    page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    page[generic.NameObject("/Rotate")] = generic.NumberObject(90)
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(out.getvalue())
    report = ps.verify(bad, [pki.root_certificate])
    s = report.signatures[0]
    assert report.verdict == "invalid"
    assert "the document was modified after this signature" in s.problems
    assert not any("certification" in p for p in s.problems), s.problems
