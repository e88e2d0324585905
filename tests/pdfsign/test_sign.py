"""Signing acts: single, multi-page, riding and PNG marks produce PDFs every validator accepts."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from chop import pdfsign as ps
from tests.support.pdfsign_testing import make_pdf

from .conftest import ink_mm, render


def _annots(path, page):
    r = PdfFileReader(open(path, "rb"), strict=False)  # noqa: SIM115
    pg = r.root["/Pages"]["/Kids"][page].get_object()
    return [a.get_object() for a in pg.get("/Annots", [])]


def test_single_mark_b_b(contract, tmp_path, signer_a, seal, assert_signed_ok):
    out = tmp_path / "out.pdf"
    res = ps.sign(
        contract,
        out,
        signer=signer_a,
        marks=[ps.SingleMark(seal, 4, 30, 190)],
        options=ps.SignOptions(level="B-B", reason="合同签署", location="深圳"),
    )
    report = assert_signed_ok(out, 1)
    sig = report.signatures[0]
    assert sig.pades_level == "B-B"
    assert sig.company == "甲方科技有限公司"
    assert sig.certificate_serial == format(res.certificate_serial, "x")
    assert sig.coverage == "entire file"
    assert res.pages == [4] and res.mark_count == 1 and res.level == "B-B"
    # the seal is the signature widget itself, on page 4, with its appearance
    (widget,) = _annots(out, 3)
    assert widget["/Subtype"] == "/Widget" and widget["/FT"] == "/Sig"
    assert int(widget["/F"]) & 128  # locked
    # the original bytes are untouched: this is an incremental update
    assert out.read_bytes().startswith(contract.read_bytes())


def test_default_level_is_b_t_with_tsa(contract, tmp_path, signer_a, seal, tsa, assert_signed_ok):
    out = tmp_path / "out.pdf"
    res = ps.sign(
        contract,
        out,
        signer=signer_a,
        marks=[ps.SingleMark(seal, 1, 20, 20)],
        options=ps.SignOptions(timestamper=tsa),
    )
    assert res.level == "B-T" and res.timestamped
    sig = assert_signed_ok(out, 1).signatures[0]
    assert sig.pades_level == "B-T"
    assert sig.timestamp is not None and sig.timestamp.tsa in (
        "Chop Test TSA",
        "Chop Time Stamping Authority",
    )
    assert sig.timestamp.valid and sig.timestamp.trusted


def test_b_t_without_tsa_is_refused(contract, tmp_path, signer_a, seal):
    with pytest.raises(ps.PdfSignError, match="timestamp"):
        ps.sign(
            contract,
            tmp_path / "o.pdf",
            signer=signer_a,
            marks=[ps.SingleMark(seal, 1, 20, 20)],
            options=ps.SignOptions(level="B-T"),
        )
    assert not (tmp_path / "o.pdf").exists()


def test_multi_page_ranges(contract, tmp_path, signer_a, seal, assert_signed_ok):
    out = tmp_path / "out.pdf"
    res = ps.sign(
        contract,
        out,
        signer=signer_a,
        marks=[ps.MultiPageMark(seal, "1-2,4", 150, 240, size_mm=30)],
    )
    assert res.pages == [1, 2, 4]
    assert_signed_ok(out, 1)
    assert _annots(out, 2) == []
    for page in (0, 1, 3):
        box = ink_mm(out, page)
        assert box is not None, page
        # 30 mm seal at (150, 240) mm
        assert abs(box[0] - 150) <= 2 and abs(box[1] - 240) <= 2, box
        assert abs((box[2] - box[0]) - 30) <= 2, box
    stamps = [a for a in _annots(out, 1)]
    assert stamps[0]["/Subtype"] == "/Stamp" and int(stamps[0]["/F"]) & (128 | 512) == 640


def test_png_seal_and_streams(tmp_path, signer_a, png_seal, assert_signed_ok):
    src = io.BytesIO(make_pdf(1))
    dst = io.BytesIO()
    ps.sign(src, dst, signer=signer_a, marks=[ps.SingleMark(png_seal, 1, 50, 50)])
    out = tmp_path / "png.pdf"
    out.write_bytes(dst.getvalue())
    assert_signed_ok(out, 1)
    box = ink_mm(out, 0)
    assert box is not None and abs(box[0] - 50) <= 2 and abs(box[1] - 50) <= 2


def test_png_riding_seal_clips_the_image(tmp_path, signer_a, png_seal, assert_signed_ok):
    src = tmp_path / "two.pdf"
    src.write_bytes(make_pdf(2))
    out = tmp_path / "png-riding.pdf"
    ps.sign(src, out, signer=signer_a, marks=[ps.RidingMark(png_seal, "right", position_mm=100)])
    assert_signed_ok(out, 1)
    for i in range(2):
        x0, y0, x1, y1 = ink_mm(out, i)
        assert x0 > 210 - 20 - 1 and abs(x1 - 210) < 1 and abs((y0 + y1) / 2 - 100) < 2
    # one image XObject for both strips: the drawing is shared, not cut into rasters
    assert out.read_bytes().count(b"/ColorSpace /DeviceRGB") == 1


def test_invisible_signature(contract, tmp_path, signer_a, assert_signed_ok):
    out = tmp_path / "out.pdf"
    res = ps.sign(contract, out, signer=signer_a, marks=[])
    assert res.mark_count == 0
    assert_signed_ok(out, 1)


def test_date_under_seal(contract, tmp_path, signer_a, seal, assert_signed_ok):
    import datetime as dt

    out = tmp_path / "out.pdf"
    when = dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC)
    ps.sign(
        contract,
        out,
        signer=signer_a,
        marks=[ps.SingleMark(seal, 1, 20, 20, date=ps.DateText())],
        options=ps.SignOptions(when=when),
    )
    assert_signed_ok(out, 1)
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(out))
    pdf.init_forms()
    # the date is drawn in the widget appearance; flatten-free check: it renders below the seal
    img = render(out, 0, scale=4 * 25.4 / 72)
    import numpy as np

    a = np.asarray(img).astype(int)
    dark = a.sum(axis=2) < 200
    ys, xs = np.nonzero(dark[: int(80 * 4), : int(80 * 4)])
    assert len(ys) and ys.max() / 4 > 20 + 40, "no dark date text under the 40 mm seal"
    pdf.close()


def test_field_name_clash_and_mark_errors(contract, tmp_path, signer_a, seal):
    out = tmp_path / "o1.pdf"
    ps.sign(
        contract,
        out,
        signer=signer_a,
        marks=[ps.SingleMark(seal, 1, 20, 20)],
        options=ps.SignOptions(field_name="甲方"),
    )
    with pytest.raises(ps.PdfSignError, match="already has a field"):
        ps.sign(
            out, tmp_path / "o2.pdf", signer=signer_a, options=ps.SignOptions(field_name="甲方")
        )
    with pytest.raises(ps.PdfSignError, match="no '.'"):
        ps.sign(
            contract, tmp_path / "o5.pdf", signer=signer_a, options=ps.SignOptions(field_name="a.b")
        )
    with pytest.raises(ps.PdfSignError, match="cannot write"):
        ps.sign(contract, tmp_path / "missing-dir" / "o6.pdf", signer=signer_a)
    with pytest.raises(ps.PdfSignError, match="cannot open"):
        ps.sign(tmp_path / "missing.pdf", tmp_path / "o7.pdf", signer=signer_a)
    with pytest.raises(ps.MarkError, match="page 9 does not exist"):
        ps.sign(
            contract, tmp_path / "o3.pdf", signer=signer_a, marks=[ps.SingleMark(seal, 9, 0, 0)]
        )
    with pytest.raises(ps.MarkError, match="outside the page"):
        ps.sign(
            contract, tmp_path / "o4.pdf", signer=signer_a, marks=[ps.SingleMark(seal, 1, 190, 20)]
        )
    assert not any(p.name.startswith(("o2", "o3", "o4", "o5")) for p in tmp_path.iterdir())
    # no temporary leftovers either
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".part"]


def test_parse_page_ranges():
    assert ps.parse_page_ranges("1-3,5", 6) == [1, 2, 3, 5]
    assert ps.parse_page_ranges("all", 3) == [1, 2, 3]
    assert ps.parse_page_ranges(" 2 , 2-3 ", 3) == [2, 3]
    for bad in ("0", "4", "3-1", "a", "1-", "1-9"):
        with pytest.raises(ps.MarkError):
            ps.parse_page_ranges(bad, 3)


def test_result_hashes_and_async_context(contract, tmp_path, signer_a, seal, tsa):
    """The result carries the output's SHA-256; signing works inside a running event loop."""
    import asyncio
    import hashlib

    out = tmp_path / "out.pdf"

    async def in_loop():
        return ps.sign(
            contract,
            out,
            signer=signer_a,
            marks=[ps.SingleMark(seal, 1, 20, 20)],
            options=ps.SignOptions(timestamper=tsa),
        )

    res = asyncio.run(in_loop())
    assert res.output_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert ps.verify(out).sha256 == res.output_sha256
    assert res.size == out.stat().st_size
    buf = io.BytesIO()
    res2 = ps.sign(
        contract.read_bytes(), buf, signer=signer_a, marks=[ps.SingleMark(seal, 1, 20, 20)]
    )
    assert res2.output_sha256 == hashlib.sha256(buf.getvalue()).hexdigest()
    # document_digest is the hash of the signed byte ranges, as recorded in the signature
    data = buf.getvalue()
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    a, b, c, d = sig.byte_range
    assert res2.document_digest == hashlib.sha256(data[a : a + b] + data[c : c + d]).hexdigest()


def test_non_seekable_source(contract, tmp_path, signer_a, seal, assert_signed_ok):
    import os

    r, w = os.pipe()
    data = contract.read_bytes()
    import threading

    def feed():
        with os.fdopen(w, "wb") as fh:
            fh.write(data)

    t = threading.Thread(target=feed)
    t.start()
    out = tmp_path / "pipe.pdf"
    with os.fdopen(r, "rb") as src:
        assert not src.seekable()
        ps.sign(src, out, signer=signer_a, marks=[ps.KeywordMark(seal, "Party A (Seal)")])
    t.join()
    assert_signed_ok(out, 1)


def test_chinese_date_drawn_as_outlines(
    contract, tmp_path, signer_a, seal, assert_signed_ok, artifacts
):
    import datetime as dt

    import numpy as np

    from chop.pdfsign.textpath import cjk_font_available

    assert cjk_font_available(), "fonts-noto-cjk is a system dependency"
    out = tmp_path / "cn.pdf"
    when = dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC)
    ps.sign(
        contract,
        out,
        signer=signer_a,
        marks=[ps.SingleMark(seal, 1, 20, 20, date=ps.DateText(style="cn", size_mm=4))],
        options=ps.SignOptions(when=when),
    )
    assert_signed_ok(out, 1)
    data = out.read_bytes()
    assert b"/Helvetica" not in data[len(contract.read_bytes()) :]  # outlines, no font
    img = render(out, 0, scale=4 * 25.4 / 72)
    img.crop((60, 60, 280, 300)).save(artifacts / "date-cn.png")
    a = np.asarray(img).astype(int)
    dark = a.sum(axis=2) < 200
    ys, xs = np.nonzero(dark[int(61 * 4) : int(68 * 4), int(18 * 4) : int(62 * 4)])
    # "2026年3月8日" at 4 mm: dark ink spanning most of the seal's width, under it
    assert len(xs) > 60 and (xs.max() - xs.min()) / 4 > 20, (len(xs), xs.min(), xs.max())
