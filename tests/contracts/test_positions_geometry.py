"""A position placed through the service lands where the initiator put it on the displayed page,
on rotated pages and pages with an offset CropBox: signed with ``chop.pdfsign.sign`` through
``positions.marks_for``, rendered with pdfium, the seal's red pixels checked (±1 mm)."""

from __future__ import annotations

import numpy as np
import pytest

from chop import pdfsign as ps
from chop.contracts import documents, participants, positions
from tests.support.pdfsign_testing import TestPKI, demo_seal, make_pdf

from .conftest import pdf_file

PX_PER_MM = 8
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def signer():
    return TestPKI().issue_company("甲方科技有限公司", "9144030071526726XG").signer()


def _draft(world, data: bytes):
    contract = documents.create_draft(
        company=world["a"], user=world["a_owner"], title="旋转页合同", upload=pdf_file(data)
    )
    return contract, participants.add_initiator(contract, by=world["a_owner"])


def _sign(contract, placed, signer, tmp_path):
    version = contract.current_version()
    src = tmp_path / "in.pdf"
    with version.file.open("rb") as fh:
        src.write_bytes(fh.read())
    out = tmp_path / "out.pdf"
    ps.sign(src, out, signer=signer, marks=positions.marks_for(placed, demo_seal(40)))
    return out


def _red_mm(path, page: int = 0, *, from_mm: float = 0, to_mm: float = 10_000):
    """The red ink's box on the displayed page, in mm from its top-left corner, looking only
    between ``from_mm`` and ``to_mm`` from the left."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    pdf.init_forms()  # the first mark is the signature field's widget: drawn with the forms
    try:
        img = pdf[page].render(scale=PX_PER_MM * 25.4 / 72, may_draw_forms=True).to_pil()
    finally:
        pdf.close()
    a = np.asarray(img.convert("RGB")).astype(int)
    left = int(from_mm * PX_PER_MM)
    a = a[:, left : int(to_mm * PX_PER_MM)]
    ys, xs = np.nonzero((a[..., 0] > 150) & (a[..., 1] < 110) & (a[..., 2] < 110))
    assert len(xs), "no red ink on the page"
    return (
        (xs.min() + left) / PX_PER_MM,
        ys.min() / PX_PER_MM,
        (xs.max() + 1 + left) / PX_PER_MM,
        (ys.max() + 1) / PX_PER_MM,
    )


CASES = {
    "rotate-90": {"rotate": 90},
    "rotate-270": {"rotate": 270},
    "cropbox": {"media_box": (-100, -50, 700, 900), "crop_box": (50, 100, 500, 800)},
    "rotate-90-cropbox": {
        "rotate": 90,
        "media_box": (-100, -50, 700, 900),
        "crop_box": (50, 100, 500, 800),
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_single_position_lands_at_its_mm(world, signer, tmp_path, case):
    contract, party = _draft(world, make_pdf(2, **CASES[case]))
    version = contract.current_version()
    w, h = positions.page_size_mm(version, 2)
    x, y = round(w - 40 - 17.5, 1), round(h - 40 - 23.5, 1)  # near the bottom-right corner
    pos = positions.add(
        contract,
        party,
        {"form": "single", "page": 2, "x_mm": x, "y_mm": y, "size_mm": 40},
        by=world["a_owner"],
    )
    x0, y0, x1, y1 = _red_mm(_sign(contract, [pos], signer, tmp_path), page=1)
    assert abs(x0 - x) <= 1 and abs(y0 - y) <= 1, (case, (x0, y0), (x, y))
    assert abs(x1 - x0 - 40) <= 1 and abs(y1 - y0 - 40) <= 1


@pytest.mark.parametrize("case", ["rotate-90", "rotate-270", "cropbox"])
def test_displayed_size_is_what_the_page_shows(world, case):
    """The editor draws pages with ``page_size_mm``: it must be the rendered page's size."""
    import pypdfium2 as pdfium

    data = make_pdf(1, **CASES[case])
    contract, _party = _draft(world, data)
    w, h = positions.page_size_mm(contract.current_version(), 1)
    pdf = pdfium.PdfDocument(data)
    try:
        pw, ph = pdf[0].get_size()
    finally:
        pdf.close()
    assert abs(w - pw * 25.4 / 72) < 0.1 and abs(h - ph * 25.4 / 72) < 0.1


def test_multi_page_and_riding_positions_on_rotated_pages(world, signer, tmp_path):
    contract, party = _draft(world, make_pdf(3, rotate=270))
    by = world["a_owner"]
    multi = positions.add(
        contract,
        party,
        {"form": "multi", "pages": "1,3", "x_mm": 30, "y_mm": 50, "size_mm": 30},
        by=by,
    )
    riding = positions.add(
        contract,
        party,
        {"form": "riding", "pages": "all", "edge": "right", "along_mm": 120, "size_mm": 42},
        by=by,
    )
    out = _sign(contract, [multi, riding], signer, tmp_path)
    w, h = positions.page_size_mm(contract.current_version(), 1)
    assert w > h  # a portrait page turned: displayed landscape
    strips = positions.boxes(riding, contract.current_version())
    assert [s["page"] for s in strips] == [1, 2, 3]
    for page, strip in enumerate(strips):
        assert abs(strip["w_mm"] - 14) < 0.01  # 42 mm cut in three
        x0, y0, x1, y1 = _red_mm(out, page, from_mm=w - 30)
        assert abs(x1 - w) <= 1 and abs(x0 - strip["x_mm"]) <= 1, (page, x0, strip)
        # each strip is a slice of the round seal: inside the seal's height, centred at 120 mm
        assert y0 >= strip["y_mm"] - 1 and y1 <= strip["y_mm"] + 42 + 1
        assert abs((y0 + y1) / 2 - 120) <= 1
        if page in (0, 2):  # the multi-page seal at (30, 50) on pages 1 and 3
            x0, y0, x1, y1 = _red_mm(out, page, to_mm=w - 30)
            assert abs(x0 - 30) <= 1 and abs(y0 - 50) <= 1 and abs(x1 - x0 - 30) <= 1
        else:
            with pytest.raises(AssertionError, match="no red ink"):
                _red_mm(out, page, to_mm=w - 30)


def test_keyword_position_lands_on_the_hit_of_a_rotated_page(world, signer, tmp_path):
    contract, party = _draft(world, make_pdf(1, rotate=90, texts={0: [(330, 200, "甲方（盖章）")]}))
    version = contract.current_version()
    pos = positions.add(
        contract,
        party,
        {"form": "keyword", "keyword": "甲方（盖章）", "dx_mm": 5, "dy_mm": -3, "size_mm": 40},
        by=world["a_owner"],
    )
    (expected,) = positions.boxes(pos, version)
    x0, y0, _x1, _y1 = _red_mm(_sign(contract, [pos], signer, tmp_path))
    assert abs(x0 - expected["x_mm"]) <= 1 and abs(y0 - expected["y_mm"]) <= 1
