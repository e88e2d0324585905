"""Text layout: spread, reading order, orientation, arc-length spacing; every kind draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chop.sealart import SealKind, SealSpec, official_seal_for, render


def _angles(d, glyphs):
    c = np.array([d.width_mm / 2, d.height_mm / 2])
    return [math.degrees(math.atan2(g.box[1] - c[1], g.box[0] - c[0])) % 360 for g in glyphs]


@pytest.mark.parametrize(
    "name",
    [
        "上海示例科技有限公司",
        "上海示例信息科技股份有限公司",
        "深圳市前海示例国际供应链管理股份有限公司",
    ],
)
def test_official_name_spread_within_250_to_270_and_clockwise_from_lower_left(name):
    d = render(official_seal_for(name, bottom_text="3101150012345"))
    glyphs = [g for g in d.glyphs()][: len(name)]
    assert "".join(g.text for g in glyphs) == name
    ang = _angles(d, glyphs)
    # clockwise: angles decrease from the first (lower left, beyond 180°) to the last (lower right)
    unwrapped = np.unwrap(np.radians(ang))
    assert np.all(np.diff(unwrapped) < 0)
    assert 180 < ang[0] < 230 and (ang[-1] > 310 or ang[-1] < 0)
    pitch = (unwrapped[0] - unwrapped[-1]) / (len(name) - 1)
    spread = math.degrees(pitch * len(name))
    assert 249.9 <= spread <= 270.1
    # evenly spread
    assert np.allclose(np.diff(unwrapped), -pitch, atol=1e-6)
    # rotated to the radius: each glyph's up direction points away from the centre
    for g, a in zip(glyphs, ang, strict=True):
        assert (g.box[2] + 90 - a) % 360 == pytest.approx(0, abs=1e-6) or (
            g.box[2] + 90 - a
        ) % 360 == pytest.approx(360, abs=1e-6)
    # condensed: tall and narrow
    assert all(g.box[3] < 0.75 * g.box[4] for g in glyphs)


def test_short_names_get_a_narrower_arc():
    short = render(official_seal_for("示例科技有限公司"))
    ang = np.unwrap(np.radians(_angles(short, short.glyphs())))
    assert math.degrees(ang[0] - ang[-1]) < 200


def test_bottom_text_reads_left_to_right_with_tops_inward():
    d = render(official_seal_for("上海示例科技有限公司", bottom_text="3101150012345"))
    code = d.glyphs()[-13:]
    assert "".join(g.text for g in code) == "3101150012345"
    xs = [g.box[0] for g in code]
    assert all(b > a for a, b in zip(xs, xs[1:], strict=False))
    assert all(g.box[1] < d.height_mm / 2 for g in code)
    # each digit's up direction points to the centre: rotation = polar angle + 90°
    for g, a in zip(code, _angles(d, code), strict=True):
        assert (g.box[2] - (a + 90)) % 360 == pytest.approx(0, abs=1e-6) or (
            g.box[2] - (a + 90)
        ) % 360 == pytest.approx(360, abs=1e-6)
    assert abs(code[6].box[2]) < 3  # nearly upright in the middle


def test_oval_name_is_spaced_by_arc_length():
    d = render(
        SealSpec(
            kind=SealKind.INVOICE, name="上海示例科技有限公司", taxpayer_id="91310115MA1K3XXX2X"
        )
    )
    name = d.glyphs()[:10]
    assert "".join(g.text for g in name) == "上海示例科技有限公司"
    # spacing is even along the curve through the glyphs' feet (the inner edge of their boxes,
    # where neighbours converge on the tight ends of the oval)
    feet = []
    for g in name:
        x, y, rot, _, h = g.box
        up = np.array([-math.sin(math.radians(rot)), math.cos(math.radians(rot))])
        feet.append(np.array([x, y]) - up * h / 2)
    chords = np.hypot(*np.diff(np.array(feet), axis=0).T)
    assert chords.max() / chords.min() < 1.15
    assert chords.std() / chords.mean() < 0.06


def test_special_seal_has_horizontal_purpose_text_under_the_star():
    d = render(SealSpec(kind=SealKind.FINANCE, name="上海示例科技有限公司"))
    purpose = d.glyphs()[-5:]
    assert "".join(g.text for g in purpose) == "财务专用章"
    ys = {round(g.box[1], 6) for g in purpose}
    assert len(ys) == 1 and ys.pop() < d.height_mm / 2 - 12 / 2 * math.cos(math.radians(36))
    assert all(g.box[2] == 0 for g in purpose)
    no_star = render(SealSpec(kind=SealKind.HR, name="上海示例科技有限公司", star=False))
    assert not [s for s in no_star.shapes if s.role == "star"]


@pytest.mark.parametrize(
    "spec,text",
    [
        (
            SealSpec(kind="finance_square", name="上海示例科技有限公司"),
            "上海示例科技有限公司财务专用章",
        ),
        (SealSpec(kind="legal_rep_square", name="张三"), "张三之印"),
        (SealSpec(kind="legal_rep_square", name="王小明"), "王小明印"),
        (SealSpec(kind="legal_rep_rect", name="欧阳建国"), "欧阳建国印"),
        (SealSpec(kind="legal_rep_rect", name="张三", suffix="印"), "张三印"),
        (SealSpec(kind="signature", name="王小明"), "王小明"),
        (
            SealSpec(kind="foreign", name="EXAMPLE CO., LTD.", bottom_text="示例有限公司"),
            "EXAMPLECO.,LTD.示例有限公司",
        ),
        (
            SealSpec(kind="custom", name="示例科技有限公司", horizontal_text="专用章", star=False),
            "示例科技有限公司专用章",
        ),
    ],
)
def test_every_kind_draws_its_text(spec, text):
    d = render(spec)
    assert "".join(g.text for g in d.glyphs()) == text
    assert all(g.contours for g in d.glyphs())


def test_square_seal_reads_in_columns_right_to_left():
    d = render(SealSpec(kind="legal_rep_square", name="张三"))
    z, s, zhi, yin = d.glyphs()
    assert z.box[0] == s.box[0] > zhi.box[0] == yin.box[0]  # right column first
    assert z.box[1] > s.box[1] and zhi.box[1] > yin.box[1]  # top to bottom


def test_signature_uses_a_kai_font_and_is_black_without_border():
    d = render(SealSpec(kind="signature", name="王小明"))
    assert d.color == (0, 0, 0)
    assert not [s for s in d.shapes if s.role == "border"]


def test_latin_signature_keeps_spaces_and_proportions():
    d = render(SealSpec(kind="signature", name="John Smith"))
    glyphs = d.glyphs()
    assert "".join(g.text for g in glyphs) == "JohnSmith"
    right = [g.bounds()[2] for g in glyphs]
    left = [g.bounds()[0] for g in glyphs]
    gaps = [b - a for a, b in zip(right, left[1:], strict=False)]
    assert gaps[3] > 2 * max(gaps[:3] + gaps[4:])  # the word space is wider than letter spacing


def test_a_middle_dot_in_a_company_name_stays_a_dot():
    d = render(official_seal_for("示例·国际贸易有限公司"))
    dot = next(g for g in d.glyphs() if g.text == "·")
    x0, y0, x1, y1 = dot.bounds()
    # a dot (about as wide as tall), not a dash stretched across the 4.5 mm glyph box
    assert max(x1 - x0, y1 - y0) < 2.2
    assert max(x1 - x0, y1 - y0) / min(x1 - x0, y1 - y0) < 1.4


def test_glyph_boxes_are_glyph_placements_and_fitting_is_its_own_module():
    """sealart's box of one glyph is a GlyphPlacement (pdfsign's Placement is where a seal goes
    on a page); the fitting, the aged look and the spec limits live in their own modules."""
    from chop.sealart import aged, fitting, spec
    from chop.sealart.fitting import GlyphPlacement, box_corners

    d = render(SealSpec(name="上海示例科技有限公司"))
    glyph = d.glyphs()[0]
    x, y, rot, w, h = glyph.box
    corners = GlyphPlacement(glyph.text, x, y, rot, w, h).corners()
    assert (corners == box_corners(glyph)).all()
    assert callable(aged.wear) and callable(fitting.arc_text) and callable(spec.limit)
    assert spec.TextPart.NAME.label_zh == "名称" and spec.Measure.SIZE.label_en == "size"
