"""Defects found by signing real-world PDFs, each pinned by an input built like the real file.

Every outcome is judged by tools nobody here wrote: pyHanko's validator with its *stock*
difference policy and the platform root as the only trust anchor, poppler's ``pdfsig``,
``qpdf --check``; and Chop's own ``verify`` must say the same.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from chop import pdfsign as ps
from tests.support.pdfsign_testing import FORM_FIELDS, demo_seal, make_form_pdf, make_pdf

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


# --------------------------------------------------------------------------- filled-in forms
SHOTS = Path("/work/wt/shots/pdffix")
SCALE = 2.0  # 144 dpi


def _pdfium(path: Path, *, forms: bool = False):
    """pdfium's rendering; ``forms=True`` lets its form filler draw (it honours
    /NeedAppearances), ``False`` draws the stored appearance streams, as a thumbnailer does."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    if forms:
        pdf.init_forms()
    try:
        page = pdf[0]
        return page.render(scale=SCALE, may_draw_forms=forms).to_pil().convert("RGB")
    finally:
        pdf.close()


def _poppler(path: Path, tmp: Path):
    from PIL import Image

    out = tmp / f"{path.stem}-pp"
    subprocess.run(
        ["pdftoppm", "-r", str(int(72 * SCALE)), "-png", "-singlefile", str(path), str(out)],
        check=True,
    )
    with Image.open(f"{out}.png") as im:
        return im.convert("RGB")


def _ink(img, rect: tuple[int, int, int, int], page_h: float = 842) -> int:
    """Dark or coloured pixels inside a field's rectangle (user space, 2 pt inset)."""
    import numpy as np

    x0, y0, x1, y1 = rect
    box = (
        round((x0 + 2) * SCALE),
        round((page_h - y1 + 2) * SCALE),
        round((x1 - 2) * SCALE),
        round((page_h - y0 - 2) * SCALE),
    )
    a = np.asarray(img.crop(box)).astype(int)
    return int((a.min(axis=2) < 140).sum())


def _ink_by_field(img) -> dict[str, int]:
    return {name: _ink(img, rect) for name, (rect, _, _) in FORM_FIELDS.items()}


def _save(img, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    img.save(SHOTS / name)


def test_filled_in_form_values_still_show_after_signing(
    tmp_path, pki, signer_a, signer_b, seal, tsa, assert_signed_ok
):
    src = tmp_path / "form.pdf"
    src.write_bytes(make_form_pdf())
    # reference: pdfium honouring /NeedAppearances draws the Latin values of the unsigned form
    ref = _pdfium(src, forms=True)
    _save(ref, "form-unsigned-pdfium-needappearances.png")
    assert _ink(ref, FORM_FIELDS["name"][0]) > 100
    # without that flag, the stored appearances of the unsigned form show none of the values
    no_flag = tmp_path / "no-flag.pdf"
    no_flag.write_bytes(make_form_pdf(need_appearances=False))
    # (readers draw fields that have no appearance at all, but trust a stored, stale one)
    for img in (_pdfium(no_flag, forms=True), _poppler(no_flag, tmp_path)):
        ink = _ink_by_field(img)
        assert ink["name"] < 5 and ink["agree"] < 5, ink

    signed = tmp_path / "signed.pdf"
    ps.sign(
        src, signed, signer=signer_a, marks=[ps.SingleMark(seal, 1, 140, 200)],
        options=ps.SignOptions(timestamper=tsa),
    )  # fmt: skip
    assert_signed_ok(signed, 1)
    # the flag is gone (readers must not redraw a signed form) and every value is drawn
    r = PdfFileReader(io.BytesIO(signed.read_bytes()), strict=False)
    form = r.root["/AcroForm"]
    assert "/NeedAppearances" not in form
    widgets = {str(f.get_object()["/T"]): f.get_object() for f in form["/Fields"]}
    assert widgets["agree"]["/AS"] == "/Yes" and widgets["urgent"]["/AS"] == "/Yes"
    # the multi-line value is drawn as its two lines, in the field's font
    notes = widgets["notes"]["/AP"]["/N"]
    assert b"/Helv 11 Tf" in notes.data
    assert b"(Delivery within 30 days.) Tj" in notes.data
    assert b"(Payment by transfer.) Tj" in notes.data

    pdfium_img, poppler_img = _pdfium(signed, forms=True), _poppler(signed, tmp_path)
    _save(pdfium_img, "form-signed-pdfium.png")
    _save(poppler_img, "form-signed-poppler.png")
    for renderer, img in (("pdfium", pdfium_img), ("poppler", poppler_img)):
        ink = _ink_by_field(img)
        for name in ("name", "company_cn", "notes"):
            assert ink[name] > 100, (renderer, name, ink)
        for name in ("agree", "urgent"):
            assert ink[name] > 15, (renderer, name, ink)
    # the value is blue (the field's /DA colour 0 0 0.5 rg), not just any ink
    import numpy as np

    x0, y0, x1, y1 = FORM_FIELDS["name"][0]
    crop = np.asarray(
        poppler_img.crop((x0 * SCALE, (842 - y1) * SCALE, x1 * SCALE, (842 - y0) * SCALE))
    )
    blue = (crop[..., 2] > 90) & (crop[..., 0] < 60) & (crop[..., 1] < 60)
    assert blue.sum() > 100

    # a second act leaves the first signature and the drawn values alone
    twice = tmp_path / "twice.pdf"
    ps.sign(
        signed, twice, signer=signer_b, marks=[ps.SingleMark(demo_seal(38), 1, 100, 230)],
        options=ps.SignOptions(timestamper=tsa),
    )  # fmt: skip
    assert_signed_ok(twice, 2)
    first, second = stock_pyhanko(twice, pki)
    assert first.bottom_line and second.bottom_line
    assert _ink_by_field(_poppler(twice, tmp_path))["company_cn"] > 100


def test_form_dictionary_shared_with_the_info_dictionary_is_not_written_to(
    tmp_path, pki, signer_a, signer_b, seal, tsa, assert_signed_ok
):
    src = tmp_path / "shared.pdf"
    src.write_bytes(make_form_pdf(form_is_info=True))
    before = PdfFileReader(io.BytesIO(src.read_bytes()), strict=False)
    info_ref = before.trailer_view.raw_get("/Info")
    assert before.root.raw_get("/AcroForm").idnum == info_ref.idnum
    info_before = dict(info_ref.get_object())

    signed = tmp_path / "signed.pdf"
    ps.sign(
        src, signed, signer=signer_a, marks=[ps.SingleMark(seal, 1, 140, 200)],
        options=ps.SignOptions(timestamper=tsa),
    )  # fmt: skip
    assert_signed_ok(signed, 1)
    r = PdfFileReader(io.BytesIO(signed.read_bytes()), strict=False)
    info_after = r.trailer_view["/Info"]
    # the info dictionary is exactly what it was: no /SigFlags, no new field, nothing dropped
    assert dict(info_after) == info_before
    assert r.xrefs.get_last_change(info_ref.reference) == 0  # never rewritten
    form_ref = r.root.raw_get("/AcroForm")
    assert form_ref.idnum != info_ref.idnum
    form = form_ref.get_object()
    names = [str(f.get_object()["/T"]) for f in form["/Fields"]]
    assert names[:-1] == list(FORM_FIELDS) and names[-1].startswith("Signature")
    assert form["/SigFlags"] == 3 and "/Producer" not in form and "/NeedAppearances" not in form
    assert _ink_by_field(_poppler(signed, tmp_path))["name"] > 100

    twice = tmp_path / "twice.pdf"
    ps.sign(
        signed, twice, signer=signer_b, marks=[ps.SingleMark(demo_seal(38), 1, 100, 230)],
        options=ps.SignOptions(timestamper=tsa),
    )  # fmt: skip
    assert_signed_ok(twice, 2)
    assert all(s.bottom_line for s in stock_pyhanko(twice, pki))


def test_form_appearances_for_rotated_combo_password_and_unknown_font_fields(
    tmp_path, signer_a, seal, assert_signed_ok
):
    """A rotated field is drawn turned with its widget, long Chinese text wraps, a combo box
    shows its value, a password
    gets no drawn value from us (readers mask it themselves), and a /DA font missing from /DR
    falls back to Helvetica."""
    fields = {
        "turned": ((400, 500, 430, 700), "text", "Rotated value"),
        "choice": ((72, 740, 300, 770), "combo", "Option B"),
        "secret": ((72, 680, 300, 710), "password", "hunter2"),
        "nofont": ((72, 620, 300, 650), "text", "Plain text"),
        "long_cn": (
            (72, 480, 250, 600),
            "multiline",
            "甲方应于合同签订后三十日内支付全部货款，乙方收到货款后开具发票。",
        ),
    }
    src = tmp_path / "edge.pdf"
    src.write_bytes(
        make_form_pdf(
            fields=fields,
            extra={"turned": b"/MK << /R 90 >>", "nofont": b"/DA (/Missing 12 Tf 0 g)"},
        )
    )
    signed = tmp_path / "signed.pdf"
    ps.sign(src, signed, signer=signer_a, marks=[ps.SingleMark(seal, 1, 120, 200)])
    assert_signed_ok(signed, 1)
    img = _poppler(signed, tmp_path)
    _save(img, "form-edge-cases-signed-poppler.png")
    ink = {name: _ink(img, rect) for name, (rect, _, _) in fields.items()}
    assert ink["turned"] > 100 and ink["choice"] > 100 and ink["nofont"] > 100, ink
    # the long Chinese value (11 pt) wraps: a second and third line below the first
    x0, y0, x1, y1 = fields["long_cn"][0]
    first, below = (x0, y1 - 17, x1, y1), (x0, y1 - 48, x1, y1 - 17)
    assert _ink(img, first) > 100 and _ink(img, below) > 100
    # the rotated value runs up the page: its ink is taller than wide
    import numpy as np

    x0, y0, x1, y1 = fields["turned"][0]
    crop = np.asarray(img.crop((x0 * SCALE, (842 - y1) * SCALE, x1 * SCALE, (842 - y0) * SCALE)))
    ys, xs = np.nonzero(crop.min(axis=2) < 140)
    assert ys.max() - ys.min() > 3 * (xs.max() - xs.min())
    r = PdfFileReader(io.BytesIO(signed.read_bytes()), strict=False)
    by_name = {str(f.get_object()["/T"]): f.get_object() for f in r.root["/AcroForm"]["/Fields"]}
    assert "/AP" not in by_name["secret"]
    nofont = by_name["nofont"]["/AP"]["/N"]
    assert nofont["/Resources"]["/Font"]["/Helv"]["/BaseFont"] == "/Helvetica"
    assert b"/Helv 12 Tf" in nofont.data


def test_inline_annotations_of_a_document_signed_elsewhere_are_left_alone(
    tmp_path, signer_a, signer_b, seal
):
    """Rewriting them after someone else's signature would itself be a change after it."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    src = tmp_path / "inline.pdf"
    src.write_bytes(make_pdf(2, page_extra=_INLINE_ANNOTS))
    w = IncrementalPdfFileWriter(io.BytesIO(src.read_bytes()), strict=False)
    fields.append_signature_field(w, fields.SigFieldSpec("Elsewhere"))  # invisible field
    out = io.BytesIO()
    signers.sign_pdf(
        w, signers.PdfSignatureMetadata(field_name="Elsewhere"), signer=signer_b, output=out
    )
    elsewhere = tmp_path / "elsewhere.pdf"
    elsewhere.write_bytes(out.getvalue())

    signed = tmp_path / "signed.pdf"
    ps.sign(elsewhere, signed, signer=signer_a, marks=[ps.SingleMark(seal, 2, 100, 150)])
    r = PdfFileReader(io.BytesIO(signed.read_bytes()), strict=False)
    page1 = r.root["/Pages"]["/Kids"].raw_get(0)
    # page 1 (inline annotations, no mark) is exactly as the other signer signed it
    assert r.xrefs.get_last_change(page1.reference) < r.xrefs.total_revisions - 1
    assert not isinstance(page1.get_object()["/Annots"].raw_get(0), generic.IndirectObject)
    # and the other signer's signature is still intact
    report = ps.verify(signed)
    assert report.signatures[0].intact and report.signatures[0].valid
