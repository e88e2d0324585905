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


def test_errors_carry_a_code_and_parameters_in_the_sealart_namespace():
    from chop.errors import ChopError

    with pytest.raises(SealSpecError) as info:
        render(SealSpec(name="上海示例科技有限公司", bottom_text="12345\U0001f600"))
    err = info.value
    assert isinstance(err, ChopError) and err.namespace == "sealart"
    assert err.code == "glyph" and err.chars == "\U0001f600"
    assert err.params["chars"] == "\U0001f600" and err.params["part"] == "bottom_text"
    assert "下弦文" in str(err) and "bottom text" in str(err)

    with pytest.raises(SealSpecError) as info:
        render(SealSpec(name="上海示例科技有限公司", size_mm=1000))
    assert info.value.code == "out_of_range"
    assert info.value.params == {"measure": "size", "value": 1000, "lo": "20", "hi": "60"}

    with pytest.raises(SealSpecError) as info:
        render(SealSpec(name="北京" * 22))
    assert info.value.code == "does_not_fit"
    assert info.value.params == {"part": "name", "min_height_mm": 3.6}


# Every refusal the engine can make, each with its code: the app's catalogue must cover them all.
REFUSALS = [
    ({"name": ""}, "empty"),
    ({"name": "示例\x07公司"}, "control"),
    ({"name": "北" * 49}, "too_long"),
    ({"name": "示例\U0001f600公司"}, "glyph"),
    ({"name": "北京" * 22}, "does_not_fit"),
    ({"kind": "legal_rep_square", "name": "王"}, "legal_rep_name"),
    ({"kind": "finance_square", "name": "北" * 26}, "too_many_chars"),
    ({"name": "示例公司", "size_mm": 5}, "out_of_range"),
    (
        {
            "kind": "invoice",
            "name": "示例公司",
            "taxpayer_id": "1",
            "width_mm": 30,
            "height_mm": 40,
        },
        "oval_shape",
    ),
    ({"kind": "invoice", "name": "示例公司"}, "taxpayer_id_missing"),
    ({"name": "示例公司", "color": "reddish"}, "color"),
    ({"name": "示例公司", "opacity": 0}, "opacity"),
    ({"name": "示例公司", "aged_seed": "x"}, "aged_seed"),
]


@pytest.mark.parametrize(("spec", "code"), REFUSALS)
def test_every_refusal_has_its_code_and_a_translated_message(spec, code):
    from django.utils import translation

    from chop.explain import explain
    from chop.explain.sealart import MESSAGES

    with pytest.raises(SealSpecError) as info:
        render(SealSpec(**spec))
    assert info.value.code == code and code in MESSAGES
    with translation.override("zh-hans"):
        zh = explain(info.value)
    with translation.override("en"):
        en = explain(info.value)
    assert zh != en and "%(" not in zh and "%(" not in en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and zh.endswith("。")


def test_kind_and_font_codes_are_in_the_catalogue():
    from chop.explain.sealart import MESSAGES

    with pytest.raises(SealSpecError) as info:
        SealSpec(kind="triangle", name="x")
    assert info.value.code == "kind"
    assert SealFontError("x").code == "font_missing"
    for code in ("kind", "font_missing", "font_file_missing", "font_unreadable", "output_format"):
        assert code in MESSAGES
