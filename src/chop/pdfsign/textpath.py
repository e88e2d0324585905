"""Short text (the date under a seal, e.g. "2026年11月21日") drawn as filled outlines.

Chinese dates need CJK glyphs, and a PDF that relies on a non-embedded CJK font looks different
in every reader (or shows boxes). Drawing the few glyphs as paths from a system font (found with
fontconfig, Noto Serif CJK preferred) keeps the appearance self-contained and identical
everywhere, at the cost of the text not being selectable, which a date under a seal need not be.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading

__all__ = ["text_path_ops", "cjk_font_available"]

_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "AR PL UKai CN")
_lock = threading.Lock()


@functools.cache
def _font():
    """(glyph set, cmap, units per em, ascender) of the first CJK font fontconfig knows."""
    if not shutil.which("fc-match"):
        return None
    from fontTools.ttLib import TTFont

    for family in _FAMILIES:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}\t%{family}", family],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        try:
            path, index, found = out.split("\t", 2)
        except ValueError:
            continue
        if family.split()[0].lower() not in found.lower():
            continue  # fontconfig substituted something unrelated
        try:
            font = TTFont(path, fontNumber=int(index or 0), lazy=True)
            cmap = font.getBestCmap()
            return font.getGlyphSet(), cmap, font["head"].unitsPerEm
        except Exception:
            continue
    return None


def cjk_font_available() -> bool:
    return _font() is not None


def _fmt(v: float) -> str:
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


def text_path_ops(text: str, size_pt: float) -> tuple[bytes, float] | None:
    """PDF path operators drawing ``text`` with its baseline at y=0, starting at x=0, and the
    advance width in points; ``None`` when no CJK font is installed or a glyph is missing."""
    with _lock:
        loaded = _font()
        if loaded is None:
            return None
        glyphs, cmap, upem = loaded
        from fontTools.pens.basePen import BasePen

        scale = size_pt / upem
        parts: list[str] = []

        class _Pen(BasePen):
            def __init__(self, dx: float) -> None:
                super().__init__(glyphs)
                self.dx = dx

            def _p(self, pt) -> str:
                return f"{_fmt(self.dx + pt[0] * scale)} {_fmt(pt[1] * scale)}"

            def _moveTo(self, pt) -> None:
                parts.append(f"{self._p(pt)} m")

            def _lineTo(self, pt) -> None:
                parts.append(f"{self._p(pt)} l")

            def _curveToOne(self, p1, p2, p3) -> None:
                parts.append(f"{self._p(p1)} {self._p(p2)} {self._p(p3)} c")

            def _closePath(self) -> None:
                parts.append("h")

        x = 0.0
        for ch in text:
            name = cmap.get(ord(ch))
            if name is None:
                return None
            glyph = glyphs[name]
            glyph.draw(_Pen(x))
            x += glyph.width * scale
        if parts:
            parts.append("f")
        return " ".join(parts).encode("ascii"), x
