"""The shared seal-text rule: normalisation, reason codes, and names with a middle dot."""

from __future__ import annotations

import pytest

from chop.sealart import SealSpec, check_seal_text, normalise_seal_text, render


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("ＡＢＣ科技有限公司", "ABC科技有限公司"),  # full-width letters: NFKC
        ("深圳\u202e示例有限公司", "深圳示例有限公司"),  # right-to-left override removed
        ("深圳\u200b示例\u200d有限公司", "深圳示例有限公司"),  # zero-width characters removed
        ("  深圳\t示例 \n有限公司 ", "深圳 示例 有限公司"),
        ("深圳示例(中国)有限公司", "深圳示例（中国）有限公司"),  # brackets as registered
        ("深圳示例（中国）有限公司", "深圳示例（中国）有限公司"),
        ("买买提·艾力", "买买提·艾力"),  # NFKC keeps the ID card's middle dot
        ("买买提・艾力", "买买提·艾力"),  # katakana middle dot → U+00B7
        ("买买提 • 艾力", "买买提·艾力"),
        ("Example Co. (HK)", "Example Co. (HK)"),  # Latin names keep ASCII brackets
    ],
)
def test_normalise(raw, clean):
    assert normalise_seal_text(raw) == clean


@pytest.mark.parametrize(
    ("kind", "text", "code"),
    [
        ("official", "深圳示例有限公司", None),
        ("official", "深" * 30, None),
        ("official", "深" * 49, "too_long"),
        ("official", "示例\U0001f600科技有限公司", "glyph"),
        ("official", "深圳\u202e示例有限公司", "control"),
        ("official", "ABC Trading Co., Ltd. " * 3, "does_not_fit"),
        ("official", "   ", "empty"),
        ("legal_rep", "张三", None),
        ("legal_rep", "买买提·艾力", None),
        ("legal_rep", "张", "legal_rep_name"),
        ("legal_rep", "·艾力", "legal_rep_name"),
        ("legal_rep", "买买提··艾力", "legal_rep_name"),
        ("name", "买买提·艾力", None),
        ("name", "张\U0001f600", "glyph"),
    ],
)
def test_check_seal_text_gives_the_engines_reason(kind, text, code):
    problem = check_seal_text(kind, text)
    assert (problem.code if problem else None) == code
    if code == "glyph":
        assert problem.chars == "\U0001f600"


def test_a_dotted_name_draws_as_a_legal_rep_seal_with_a_small_dot():
    d = render(SealSpec(kind="legal_rep_square", name="买买提·艾力", suffix="印"))
    glyphs = d.glyphs()
    assert "".join(g.text for g in glyphs) == "买买提·艾力印"
    dot = next(g for g in glyphs if g.text == "·")
    ai = next(g for g in glyphs if g.text == "艾")
    dx0, dy0, dx1, dy1 = dot.bounds()
    ax0, ay0, ax1, ay1 = ai.bounds()
    # the dot stays a dot: far smaller than a character in the next cell, not stretched to a block
    assert (dx1 - dx0) < (ax1 - ax0) / 3 and (dy1 - dy0) < (ay1 - ay0) / 3
