"""Real seals from chop.sealart, as vector drawings and as exported PDFs, stamp and validate."""

from __future__ import annotations

from chop import pdfsign as ps

from .conftest import ink_mm, render


def test_sealart_drawing_and_pdf_export(contract, tmp_path, signer_a, assert_signed_ok, artifacts):
    from chop.sealart import SealKind, SealSpec
    from chop.sealart import render as render_seal

    official = render_seal(SealSpec(kind=SealKind.OFFICIAL, name="甲方科技有限公司", size_mm=40))
    contract_seal = render_seal(
        SealSpec(kind=SealKind.CONTRACT, name="甲方科技有限公司", size_mm=38, opacity=0.85)
    )
    a = ps.SealAppearance.from_drawing(official)
    b = ps.SealAppearance.from_drawing(contract_seal)
    assert b.opacity == 0.85 and b"/GS0 gs" in b.content
    exported = tmp_path / "seal.pdf"
    exported.write_bytes(contract_seal.to_pdf())
    c = ps.SealAppearance.from_pdf(exported.read_bytes())
    assert abs(c.width_mm - 38) < 0.01 and c.opacity == 0.85
    out = tmp_path / "out.pdf"
    ps.sign(
        contract,
        out,
        signer=signer_a,
        marks=[
            ps.KeywordMark(a, "甲方（盖章）"),
            ps.SingleMark(b, 1, 20, 200),
            ps.SingleMark(c, 1, 120, 200),
            ps.RidingMark(a, "right", pages="2-4"),
        ],
    )
    assert_signed_ok(out, 1)
    x0, y0, x1, y1 = ink_mm(out, 0)
    assert abs(x0 - 20) < 1.5 and abs(y0 - 200) < 1.5 and abs(x1 - 158) < 1.5
    render(out, 0, scale=2).save(artifacts / "sealart-page1.png")
    render(out, 3, scale=2).save(artifacts / "sealart-page4.png")
