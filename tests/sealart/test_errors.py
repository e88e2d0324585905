"""Bad input fails with a SealSpecError (a ValueError) whose message says what is wrong and the limit."""

from __future__ import annotations

import pytest

from chop.sealart import SealFontError, SealKind, SealSpec, SealSpecError, render
from chop.sealart import fonts as seal_fonts


def _err(**kw) -> str:
    with pytest.raises(SealSpecError) as info:
        render(SealSpec(**kw))
    assert isinstance(info.value, ValueError)
    return str(info.value)


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_empty_name(name):
    msg = _err(name=name)
    assert "名称不能为空" in msg and "must not be empty" in msg


def test_unsupported_characters_are_named():
    msg = _err(name="示例\U0001f600科技有限公司")  # an emoji: no glyph in Noto Serif CJK
    assert "\U0001f600" in msg and "cannot draw" in msg and "Noto Serif CJK SC" in msg


@pytest.mark.parametrize("size", [0, -5, 5, 1000, float("nan"), float("inf")])
def test_absurd_sizes(size):
    msg = _err(name="上海示例科技有限公司", size_mm=size)
    assert "out of range" in msg and "20–60 mm" in msg


def test_absurd_oval_and_border():
    assert "wider than it is tall" in _err(
        kind="invoice", name="示例公司", taxpayer_id="1", width_mm=30, height_mm=40
    )
    assert "border" in _err(name="上海示例科技有限公司", border_mm=9)


@pytest.mark.parametrize("color", ["reddish", "#12345", "#gggggg", "", "rgb(1,2,3)"])
def test_bad_colours(color):
    msg = _err(name="上海示例科技有限公司", color=color)
    assert "invalid colour" in msg and "hex" in msg


@pytest.mark.parametrize(
    "color,rgb", [("blue", (31, 78, 158)), ("#c00", (204, 0, 0)), ("0A0B0C", (10, 11, 12))]
)
def test_good_colours(color, rgb):
    assert render(SealSpec(name="上海示例科技有限公司", color=color)).color == rgb


def test_unknown_kind_and_bad_opacity():
    with pytest.raises(SealSpecError, match="unknown seal kind"):
        SealSpec(kind="triangle", name="x")
    assert "opacity" in _err(name="上海示例科技有限公司", opacity=0)
    assert "opacity" in _err(name="上海示例科技有限公司", opacity=1.5)


def test_text_too_long_shrinks_then_fails_with_the_limit():
    # 30 characters fit on Ø40 by condensing and lowering the text...
    d = render(SealSpec(name="北京" * 15))
    heights = {round(g.box[4], 2) for g in d.glyphs()}
    assert max(heights) < 6.8  # lower than the default height
    # ...40 do not, and the message says the minimum height it tried
    msg = _err(name="北京" * 22)
    assert (
        "too long" in msg
        and "minimum text height of 3.6 mm" in msg
        and "字高缩到下限 3.6 mm" in msg
    )


def test_name_length_limit():
    assert "at most 48" in _err(name="北" * 49)


def test_legal_representative_name_length():
    assert "2–4" in _err(kind="legal_rep_square", name="张")
    assert "2–4" in _err(kind="legal_rep_rect", name="张三李四王五")


def test_invoice_needs_taxpayer_id():
    assert "taxpayer id" in _err(kind=SealKind.INVOICE, name="上海示例科技有限公司")


def test_missing_font_names_the_font_and_the_debian_package(monkeypatch):
    monkeypatch.setitem(
        seal_fonts.FONT_STYLES,
        "song",
        ("No Such Serif SC", "No Such Serif SC", "fonts-noto-cjk", ()),
    )
    seal_fonts.find_font.cache_clear()
    seal_fonts.load_font.cache_clear()
    try:
        with pytest.raises(SealFontError) as info:
            render(SealSpec(name="上海示例新科技有限公司"))
        msg = str(info.value)
        assert "No Such Serif SC" in msg
        assert "install the Debian package fonts-noto-cjk" in msg
    finally:
        seal_fonts.find_font.cache_clear()
        seal_fonts.load_font.cache_clear()


def test_unknown_font_family():
    with pytest.raises(SealFontError, match="Comic Serif Nowhere"):
        render(SealSpec(name="上海示例科技有限公司", font="Comic Serif Nowhere"))


def test_configured_font_paths(monkeypatch):
    """CHOP_SEAL_FONTS maps a style to a file (e.g. a licensed 仿宋 font); a wrong path is an error."""
    seal_fonts.find_font.cache_clear()
    seal_fonts.load_font.cache_clear()
    try:
        monkeypatch.setenv(seal_fonts.ENV_FONTS, "song=/usr/share/fonts/truetype/arphic/ukai.ttc#0")
        ref = seal_fonts.find_font("song")
        assert ref.path.endswith("ukai.ttc") and ref.index == 0
        monkeypatch.setenv(seal_fonts.ENV_FONTS, "song=/nonexistent/fangsong.ttf")
        seal_fonts.find_font.cache_clear()
        with pytest.raises(SealFontError, match="/nonexistent/fangsong.ttf"):
            seal_fonts.find_font("song")
    finally:
        seal_fonts.find_font.cache_clear()
        seal_fonts.load_font.cache_clear()


@pytest.mark.parametrize(
    "kw",
    [{"dpi": 0}, {"dpi": -300}, {"dpi": 100_000}, {"dpi": float("nan")}, {"px": 0}, {"px": 50_000}],
)
def test_absurd_resolutions(kw):
    d = render(SealSpec(name="上海示例科技有限公司"))
    with pytest.raises(SealSpecError, match="px|dpi"):
        d.to_png(**kw)
