"""Keyword positions: Latin and CJK text found with pdfium; a clear error when missing."""

from __future__ import annotations

import pytest

from chop import pdfsign as ps
from tests.support.pdfsign_testing import make_pdf

from .conftest import ink_mm


def test_find_keyword_latin_and_cjk(contract):
    (hit,) = ps.find_keyword(contract, "Party A (Seal)")
    assert hit.page == 4 and 85 < hit.rect[0] < 95 and 195 < hit.rect[1] < 205
    (cjk,) = ps.find_keyword(contract, "甲方（盖章）")
    assert cjk.page == 4 and 325 < cjk.rect[0] < 335
    assert ps.find_keyword(contract.read_bytes(), "party a") != []  # case-insensitive
    assert ps.find_keyword(contract, "乙方") == []


def test_keyword_mark_centred_on_text(contract, tmp_path, signer_a, seal, assert_signed_ok):
    out = tmp_path / "kw.pdf"
    res = ps.sign(
        contract, out, signer=signer_a, marks=[ps.KeywordMark(seal, "甲方（盖章）", dx_mm=5)]
    )
    assert res.pages == [4]
    assert_signed_ok(out, 1)
    (hit,) = ps.find_keyword(contract, "甲方（盖章）")
    cx_mm = (hit.rect[0] + hit.rect[2]) / 2 * 25.4 / 72 + 5
    cy_mm = (841.89 - (hit.rect[1] + hit.rect[3]) / 2) * 25.4 / 72
    x0, y0, x1, y1 = ink_mm(out, 3)
    assert abs((x0 + x1) / 2 - cx_mm) < 1.5 and abs((y0 + y1) / 2 - cy_mm) < 1.5


def test_keyword_occurrences(tmp_path, signer_a, seal, assert_signed_ok):
    src = tmp_path / "multi.pdf"
    src.write_bytes(make_pdf(3, texts={i: [(300, 300, "Party B")] for i in range(3)}))
    out_all = tmp_path / "all.pdf"
    assert ps.sign(
        src, out_all, signer=signer_a, marks=[ps.KeywordMark(seal, "Party B", occurrence="all")]
    ).pages == [1, 2, 3]
    assert_signed_ok(out_all, 1)
    out_last = tmp_path / "last.pdf"
    assert ps.sign(
        src, out_last, signer=signer_a, marks=[ps.KeywordMark(seal, "Party B", occurrence="last")]
    ).pages == [3]


def test_keyword_not_found_is_clear_and_writes_nothing(contract, tmp_path, signer_a, seal):
    out = tmp_path / "none.pdf"
    with pytest.raises(ps.KeywordNotFoundError, match="丙方"):
        ps.sign(contract, out, signer=signer_a, marks=[ps.KeywordMark(seal, "丙方（盖章）")])
    assert list(tmp_path.iterdir()) == [contract]


def _dark_centre_mm(path):
    import numpy as np

    from .conftest import PX_PER_MM, render

    a = np.asarray(render(path, 0, scale=PX_PER_MM * 25.4 / 72)).astype(int)
    ys, xs = np.nonzero(a.sum(axis=2) < 200)
    return xs.mean() / PX_PER_MM, ys.mean() / PX_PER_MM


@pytest.mark.parametrize("rotate", [90, 270])
def test_keyword_on_rotated_page(tmp_path, signer_a, seal, rotate, assert_signed_ok):
    """pdfium reports text in user space; the seal must land on the text as displayed."""
    src = tmp_path / "rot.pdf"
    src.write_bytes(
        make_pdf(1, rotate=rotate, default_text=False, texts={0: [(200, 500, "Party A (Seal)")]})
    )
    cx, cy = _dark_centre_mm(src)
    out = tmp_path / "out.pdf"
    ps.sign(src, out, signer=signer_a, marks=[ps.KeywordMark(seal, "Party A (Seal)", size_mm=30)])
    assert_signed_ok(out, 1)
    x0, y0, x1, y1 = ink_mm(out, 0)
    assert abs((x0 + x1) / 2 - cx) < 3 and abs((y0 + y1) / 2 - cy) < 3, ((x0, y0, x1, y1), cx, cy)


def test_keyword_with_file_objects(contract, tmp_path, signer_a, seal, assert_signed_ok):
    """Open files in, open file out (how the web app hands over stored documents)."""
    out = tmp_path / "fo.pdf"
    with open(contract, "rb") as src, open(out, "wb") as dst:
        res = ps.sign(src, dst, signer=signer_a, marks=[ps.KeywordMark(seal, "Party A (Seal)")])
    assert res.pages == [4]
    assert_signed_ok(out, 1)


def test_keyword_bracket_spellings(contract):
    """ASCII brackets typed by the user still find the full-width ones in the contract."""
    (hit,) = ps.find_keyword(contract, "甲方(盖章)")
    assert hit.page == 4 and hit.text == "甲方（盖章）"
