"""The three outputs (PNG, PDF operators, SVG) carry the same geometry."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from chop.sealart import PT_PER_MM, SealKind, SealSpec, official_seal_for, render

from .helpers import iou, pdf_ink, png_alpha

SPECS = {
    "official": official_seal_for("上海示例科技有限公司", bottom_text="3101150012345"),
    "contract": SealSpec(kind=SealKind.CONTRACT, name="上海示例科技有限公司"),
    "invoice": SealSpec(
        kind=SealKind.INVOICE, name="上海示例科技有限公司", taxpayer_id="91310115MA1K3XXX2X"
    ),
    "foreign": SealSpec(kind=SealKind.FOREIGN, name="SHANGHAI EXAMPLE TECHNOLOGY CO., LTD."),
    "finance_square": SealSpec(kind=SealKind.FINANCE_SQUARE, name="上海示例科技有限公司"),
    "legal_rep_rect": SealSpec(kind=SealKind.LEGAL_REP_RECT, name="王小明"),
    "signature": SealSpec(kind=SealKind.SIGNATURE, name="欧阳建国"),
    "aged_blue": SealSpec(
        kind=SealKind.OFFICIAL, name="上海示例科技有限公司", color="blue", aged_seed=7
    ),
}


# pdfium renders a page into a whole number of pixels and stretches the page to fill them, so at
# exactly 300 dpi a 40 mm seal (472.4 px) is drawn 0.1 % wider than it is: about 0.3 px at the far
# edge, which alone costs several points of IoU on 3-pixel strokes. At 12 px/mm (304.8 dpi) every
# seal size in use is a whole number of pixels and the comparison measures only the geometry.
IOU_DPI = 12 * 25.4


@pytest.mark.parametrize("key", list(SPECS))
def test_pdf_rasterised_by_pdfium_matches_png(key):
    d = render(SPECS[key])
    png, pdf = png_alpha(d, IOU_DPI), pdf_ink(d, IOU_DPI)
    assert png.shape == pdf.shape
    assert (png > 0.5).sum() > 1000
    assert iou(png, pdf) >= 0.97


def test_iou_check_is_sensitive():
    """The IoU comparison above can fail: a 2-pixel shift or a missing glyph drops it below 0.97."""
    d = render(SPECS["official"])
    png, pdf = png_alpha(d, IOU_DPI), pdf_ink(d, IOU_DPI)
    assert iou(png, pdf) >= 0.97
    assert iou(np.roll(png, 2, axis=1), pdf) < 0.97
    glyphless = type(d)(d.width_mm, d.height_mm, [s for s in d.shapes if s.text not in "海示"])
    assert iou(png_alpha(glyphless, IOU_DPI), pdf) < 0.97


def test_png_is_rgba_with_transparent_background_and_colour():
    d = render(SPECS["official"])
    img = Image.open(io.BytesIO(d.to_png(dpi=150)))
    assert img.mode == "RGBA"
    px = np.asarray(img)
    h, w = px.shape[:2]
    for y, x in (
        (0, 0),
        (0, w - 1),
        (h - 1, 0),
        (h - 1, w - 1),
        (h // 2, w // 2 - round(9 * 150 / 25.4)),
    ):
        assert px[y, x, 3] == 0, (y, x)  # corners and the empty ring between star and text
    solid = px[..., 3] == 255
    assert solid.any()
    assert tuple(px[solid][0, :3]) == d.color
    assert img.size == (round(40 / 25.4 * 150), round(40 / 25.4 * 150))
    assert Image.open(io.BytesIO(d.to_png(px=600))).size == (600, 600)


def test_opacity_goes_into_png_alpha_and_not_into_pdf_operators():
    d = render(SPECS["official"].replace(opacity=0.5))
    a = png_alpha(d)
    assert 0.45 < a.max() <= 0.51
    assert d.pdf_extgstate() == {"/ca": 0.5, "/CA": 0.5}
    assert b"gs" not in d.pdf_content()
    assert b"/GS0 gs" in d.to_pdf()


ALLOWED_OPS = {"q", "Q", "rg", "m", "l", "c", "h", "f", "re", "W*", "n"}


@pytest.mark.parametrize("key", ["official", "aged_blue", "signature"])
def test_pdf_content_is_paths_only_in_a_point_box(key):
    d = render(SPECS[key])
    ops = d.pdf_content().decode("ascii")
    tokens = ops.split()
    operators = {t for t in tokens if not re.fullmatch(r"-?\d+(\.\d+)?", t)}
    assert operators <= ALLOWED_OPS, operators - ALLOWED_OPS
    assert tokens[0] == "q" and tokens[-1] == "Q"
    nums = [float(t) for t in tokens if re.fullmatch(r"-?\d+(\.\d+)?", t)]
    w, h = d.bbox_pt[2], d.bbox_pt[3]
    assert d.bbox_pt == (0.0, 0.0, w, h)
    assert w == pytest.approx(d.width_mm * PT_PER_MM)
    # every coordinate lies in the box (colour components are in 0..1, also inside)
    assert min(nums) >= -0.01 and max(nums) <= max(w, h) + 0.01
    # in millimetres when asked
    mm = [
        float(t)
        for t in d.pdf_content(scale_to_pt=False).split()
        if re.fullmatch(rb"-?\d+(\.\d+)?", t)
    ]
    assert max(mm) <= max(d.width_mm, d.height_mm) + 0.01


def _svg_numbers(d: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]


def test_svg_is_well_formed_and_carries_the_same_shapes():
    d = render(SPECS["aged_blue"])
    root = ET.fromstring(d.to_svg().split("?>", 1)[1])
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.get("width") == "40mm" and root.get("viewBox") == "0 0 40 40"
    paths = root.findall("s:g/s:path", ns)
    assert len(paths) == len(d.shapes)
    for el, shape in zip(paths, d.shapes, strict=True):
        assert el.get("class") == shape.role
        nums = np.array(_svg_numbers(el.get("d")))
        # the path's points are exactly the shape's end and control points (3 decimals)
        pts = []
        for c in shape.contours:
            pts.append(c.segs[0, 0])
            for seg, line in zip(c.segs, c.is_line, strict=True):
                pts.extend([seg[3]] if line else [seg[1], seg[2], seg[3]])
        assert np.allclose(nums, np.concatenate(pts), atol=0.0015)
    assert root.find("s:defs/s:clipPath", ns) is not None  # the aged look's holes
    assert root.find("s:g", ns).get("fill") == d.color_hex


def test_pdf_file_output_is_a_valid_one_page_pdf():
    import pypdfium2 as pdfium

    d = render(SPECS["contract"])
    pdf = pdfium.PdfDocument(d.to_pdf())
    assert len(pdf) == 1
    w, h = pdf[0].get_size()
    assert w == pytest.approx(40 * PT_PER_MM, abs=0.01) and h == pytest.approx(
        40 * PT_PER_MM, abs=0.01
    )
    # no fonts: the text is outlines
    assert b"/Font" not in d.to_pdf() and b"BT" not in d.pdf_content()
    pdf.close()


def test_render_is_cached_by_spec_and_outputs_by_drawing():
    spec = SPECS["official"]
    d = render(spec)
    assert render(SealSpec(**{f: getattr(spec, f) for f in spec.field_names()})) is d
    assert d.to_png(dpi=100) is d.to_png(dpi=100)
    assert d.pdf_content() is d.pdf_content()


def test_aged_look_is_deterministic_and_still_recognisable():
    base = SealSpec(kind=SealKind.OFFICIAL, name="上海示例科技有限公司")
    a1 = png_alpha(render(base.replace(aged_seed=11)), dpi=150)
    a2 = png_alpha(render(base.replace(aged_seed=11)), dpi=150)
    a3 = png_alpha(render(base.replace(aged_seed=12)), dpi=150)
    clean = png_alpha(render(base), dpi=150)
    assert np.array_equal(a1, a2)
    assert not np.array_equal(a1, a3)
    lost = ((clean > 0.5) & (a1 <= 0.5)).sum() / (clean > 0.5).sum()
    assert 0.005 < lost < 0.08  # visibly worn, still the same seal
    assert iou(a1, clean) > 0.9
