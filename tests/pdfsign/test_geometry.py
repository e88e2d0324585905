"""Placement as the user sees the page: rotation, offset crop boxes, riding-seal strips."""

from __future__ import annotations

import pytest
from PIL import Image

from chop import pdfsign as ps
from chop.pdfsign.layout import riding_groups
from tests.support.pdfsign_testing import make_pdf

from .conftest import ink_mm, render

A4 = (0, 0, 595.28, 841.89)


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_page_mark_lands_where_shown(tmp_path, signer_a, seal, rotate, assert_signed_ok):
    src = tmp_path / "rot.pdf"
    src.write_bytes(make_pdf(1, rotate=rotate))
    out = tmp_path / "out.pdf"
    ps.sign(src, out, signer=signer_a, marks=[ps.SingleMark(seal, 1, 30, 50, size_mm=40)])
    assert_signed_ok(out, 1)
    box = ink_mm(out)
    assert box is not None
    assert abs(box[0] - 30) < 1.5 and abs(box[1] - 50) < 1.5, box
    assert abs(box[2] - box[0] - 40) < 1.5 and abs(box[3] - box[1] - 40) < 1.5, box


def test_rotated_seal_stands_upright(tmp_path, signer_a, seal):
    """The star's top point must be at the top on screen, whatever the page's /Rotate."""
    import numpy as np

    tops = []
    for rotate in (0, 90):
        src = tmp_path / f"r{rotate}.pdf"
        src.write_bytes(make_pdf(1, rotate=rotate))
        out = tmp_path / f"o{rotate}.pdf"
        ps.sign(src, out, signer=signer_a, marks=[ps.SingleMark(seal, 1, 20, 20)])
        img = render(out, 0, scale=4 * 25.4 / 72).crop((80, 80, 240, 240))
        tops.append(np.asarray(img.convert("L")))
    # the two crops are the same picture (not rotated against each other)
    diff = np.abs(tops[0].astype(int) - tops[1].astype(int)).mean()
    assert diff < 4, diff


def test_offset_cropbox(tmp_path, signer_a, seal, assert_signed_ok):
    src = tmp_path / "crop.pdf"
    # media box starts at (-100, -50); visible crop box is an inner window
    src.write_bytes(make_pdf(1, media_box=(-100, -50, 700, 900), crop_box=(50, 100, 500, 800)))
    out = tmp_path / "out.pdf"
    ps.sign(src, out, signer=signer_a, marks=[ps.SingleMark(seal, 1, 10, 15, size_mm=30)])
    assert_signed_ok(out, 1)
    box = ink_mm(out)
    assert abs(box[0] - 10) < 1.5 and abs(box[1] - 15) < 1.5, box


def test_riding_groups():
    assert riding_groups(list(range(1, 11)), 40, 4) == [list(range(1, 11))]
    groups = riding_groups(list(range(1, 24)), 40, 4)
    assert [len(g) for g in groups] == [8, 8, 7]  # balanced, none with fewer than two pages
    assert sum(groups, []) == list(range(1, 24))
    with pytest.raises(ps.MarkError):
        riding_groups([1], 40, 4)
    with pytest.raises(ps.MarkError):
        riding_groups([1, 2], 6, 4)


def test_riding_seal_strips_form_one_seal(tmp_path, signer_a, seal, artifacts, assert_signed_ok):
    src = tmp_path / "four.pdf"
    src.write_bytes(make_pdf(4))
    out = tmp_path / "riding.pdf"
    res = ps.sign(
        src, out, signer=signer_a, marks=[ps.RidingMark(seal, "right", position_mm=100, size_mm=40)]
    )
    assert res.mark_count == 4 and res.kinds == ["riding"] * 4
    assert_signed_ok(out, 1)
    # each page carries a 10 mm strip at its right edge, centred 100 mm from the top
    strips = []
    for i in range(4):
        box = ink_mm(out, i)
        assert box is not None
        assert abs(box[2] - 210) < 1.0 and box[0] > 210 - 10 - 1.0, box
        assert abs((box[1] + box[3]) / 2 - 100) < 2.5, box
        img = render(out, i, scale=4 * 25.4 / 72)
        strips.append(img.crop((img.width - 40, 80 * 4 - 20, img.width, 120 * 4 + 20)))
    # laid side by side, the strips make one whole seal: compare with the seal itself
    joined = Image.new("RGB", (160, strips[0].height), "white")
    for i, s in enumerate(strips):
        joined.paste(s, (i * 40, 0))
    single = tmp_path / "single.pdf"
    ps.sign(src, single, signer=signer_a, marks=[ps.SingleMark(seal, 1, 80, 80, size_mm=40)])
    ref = render(single, 0, scale=4 * 25.4 / 72).crop((80 * 4, 80 * 4 - 20, 120 * 4, 120 * 4 + 20))
    side = Image.new("RGB", (joined.width * 2 + 20, joined.height), "gray")
    side.paste(joined, (0, 0))
    side.paste(ref, (joined.width + 20, 0))
    side.save(artifacts / "riding-side-by-side.png")
    import numpy as np

    a = np.asarray(joined.convert("L")).astype(int)
    b = np.asarray(ref.convert("L")).astype(int)
    assert np.abs(a - b).mean() < 6, np.abs(a - b).mean()
    # and the pages laid out with their edges overlapping, for a person to look at
    pages = [render(out, i, scale=0.6) for i in range(4)]
    sheet = Image.new("RGB", (sum(p.width for p in pages) + 30, pages[0].height), "gray")
    x = 0
    for p in pages:
        sheet.paste(p, (x, 0))
        x += p.width + 10
    sheet.save(artifacts / "riding-pages.png")


@pytest.mark.parametrize("edge", ["left", "top", "bottom"])
def test_riding_other_edges(tmp_path, signer_a, seal, edge, assert_signed_ok):
    src = tmp_path / "two.pdf"
    src.write_bytes(make_pdf(2))
    out = tmp_path / "out.pdf"
    ps.sign(src, out, signer=signer_a, marks=[ps.RidingMark(seal, edge)])
    assert_signed_ok(out, 1)
    for i in range(2):
        x0, y0, x1, y1 = ink_mm(out, i)
        if edge == "left":
            assert x0 < 1 and 19 < x1 < 21.5
        elif edge == "top":
            assert y0 < 1 and 19 < y1 < 21.5
        else:
            assert y1 > 296 and 275.5 < y0 < 278


def test_riding_seal_on_rotated_pages(tmp_path, signer_a, seal, assert_signed_ok):
    """Landscape-displayed pages (/Rotate 90): strips sit on the displayed right edge."""
    src = tmp_path / "rot.pdf"
    src.write_bytes(make_pdf(2, rotate=90))
    out = tmp_path / "out.pdf"
    ps.sign(src, out, signer=signer_a, marks=[ps.RidingMark(seal, "right", position_mm=60)])
    assert_signed_ok(out, 1)
    for i in range(2):
        x0, y0, x1, y1 = ink_mm(out, i)
        assert abs(x1 - 297) < 1.0 and 297 - 21.5 < x0 < 297 - 19, (x0, x1)
        assert abs((y0 + y1) / 2 - 60) < 2, (y0, y1)
