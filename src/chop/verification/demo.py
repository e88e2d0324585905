"""Demo data for verification: the demo company's verification waits in the operator queue.

Nothing is marked verified here: the demo operator approves the case in the console, the way a
real one would, and the official seal is generated then. The licence image is drawn on the spot
and says plainly that it is a demo.
"""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from .letter import _font
from .models import CompanyVerification
from .services import CompanyInput, submit_company

DEMO_USCC = "91310115MA1K4C2L6B"  # fictional; passes both GB 32100 checks
DEMO_LEGAL_REP = ("张伟", "11010519491231002X")  # the textbook GB 11643 example number


def demo_licence_png(company_name: str, uscc: str, legal_rep: str) -> bytes:
    img = Image.new("RGB", (1400, 980), (250, 246, 236))
    draw = ImageDraw.Draw(img)
    draw.rectangle((30, 30, 1370, 950), outline=(170, 40, 40), width=10)
    draw.text((700, 120), "营 业 执 照", font=_font(72, bold=True), fill=(150, 20, 20), anchor="mm")
    body = _font(36)
    lines = [
        f"统一社会信用代码  {uscc}",
        f"名　　称  {company_name}",
        "类　　型  有限责任公司",
        f"法定代表人  {legal_rep}",
        "住　　所  上海市浦东新区示例路 1 号",
    ]
    for i, line in enumerate(lines):
        draw.text((140, 260 + i * 80), line, font=body, fill=(30, 30, 30))
    draw.text(
        (700, 760),
        "演示材料 · DEMO ONLY · 非真实证照",
        font=_font(48, bold=True),
        fill=(200, 60, 60),
        anchor="mm",
    )
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def ensure_demo_case(company, owner) -> CompanyVerification | None:
    """Submit the demo company's verification once (authorisation-letter method)."""
    if CompanyVerification.objects.filter(company=company).exists() or company.status == "verified":
        return None
    licence = demo_licence_png(company.name, DEMO_USCC, DEMO_LEGAL_REP[0])
    letter = ContentFile(licence, name="demo-letter.png")
    return submit_company(
        owner,
        company,
        CompanyInput(
            company_name=company.name,
            uscc=DEMO_USCC,
            legal_rep_name=DEMO_LEGAL_REP[0],
            legal_rep_id=DEMO_LEGAL_REP[1],
            legal_rep_id_masked="110***********002X",
            licence=ContentFile(licence, name="demo-licence.png"),
            method="letter",
            letter=letter,
        ),
    )
