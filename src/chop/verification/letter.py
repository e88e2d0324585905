"""The authorisation letter (授权书) the platform fills in for the applicant to print and stamp.

Drawn with Pillow in a CJK serif font onto an A4 page and saved as a one-page PDF: nothing to
install beyond the fonts the seal engine needs already, and it prints the same everywhere.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from datetime import date
from functools import cache

from PIL import Image, ImageDraw, ImageFont

DPI = 150
A4_PX = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))
MARGIN = round(25 / 25.4 * DPI)


@dataclass
class LetterData:
    company_name: str
    uscc: str
    legal_rep_name: str
    agent_name: str
    agent_contact: str
    platform: str = "Chop"
    today: date | None = None


@cache
def _font_file(family: str) -> tuple[str, int]:
    out = subprocess.run(
        ["fc-match", "-f", "%{file}\n%{index}", f"{family}:lang=zh-cn"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    path, index = out[0], int(out[1] or 0)
    if "CJK" not in path and "ukai" not in path.lower():
        raise RuntimeError(f"font {family!r} not found: install the Debian package fonts-noto-cjk")
    return path, index


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path, index = _font_file("Noto Serif CJK SC:bold" if bold else "Noto Serif CJK SC")
    return ImageFont.truetype(path, size, index=index)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    """Break CJK (and mixed) text at any character so each line fits ``width`` pixels."""
    lines, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=font) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines


def render_letter(data: LetterData) -> bytes:
    """The letter as PDF bytes."""
    today = data.today or date.today()
    img = Image.new("RGB", A4_PX, "white")
    draw = ImageDraw.Draw(img)
    title, body, small = _font(44, bold=True), _font(25), _font(21)
    width = A4_PX[0] - 2 * MARGIN
    y = MARGIN + 20
    heading = "授 权 委 托 书"
    draw.text(
        ((A4_PX[0] - draw.textlength(heading, font=title)) / 2, y),
        heading,
        font=title,
        fill="black",
    )
    y += 110
    paragraphs = [
        f"致 {data.platform} 电子签章平台：",
        f"　　兹有{data.company_name}（统一社会信用代码：{data.uscc}），法定代表人{data.legal_rep_name}，"
        f"现授权{data.agent_name}（联系方式：{data.agent_contact}）作为本单位的代理人，代表本单位在"
        f"{data.platform}电子签章平台办理企业实名认证、申请与管理电子印章等事宜。",
        "　　代理人在授权范围内所办理的上述事项及签署的相关文件，本单位均予以承认，"
        "并承担相应的法律责任。",
        "　　本授权自签署之日起生效，至本单位书面撤销之日止。",
    ]
    for para in paragraphs:
        for line in _wrap(draw, para, body, width):
            draw.text((MARGIN, y), line, font=body, fill="black")
            y += 46
        y += 18
    y += 60
    for label in (
        f"授权单位（盖公章）：{data.company_name}",
        "法定代表人（签字或盖章）：",
        "代理人（签字）：",
        f"日期：{today.year} 年 {today.month} 月 {today.day} 日",
    ):
        draw.text((A4_PX[0] // 2 - 60, y), label, font=body, fill="black")
        y += 70
    footer = (
        f"Authorisation letter for {data.company_name} ({data.uscc}). Print, sign, stamp with the "
        "official seal, then upload a photo or scan."
    )
    footer_lines = _wrap(draw, footer, small, width)
    for i, line in enumerate(footer_lines):
        y_line = A4_PX[1] - MARGIN - 34 * (len(footer_lines) - i)
        draw.text((MARGIN, y_line), line, font=small, fill="#666666")
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=DPI, title="授权委托书 Authorisation letter")
    return buf.getvalue()
