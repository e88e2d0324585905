"""Font discovery (fontconfig or configured paths) and cached glyph outlines.

Why outlines and not text: the PDF operators draw each glyph as a filled path, so a stamped PDF
needs no embedded font and stays sharp at any zoom; the PNG and SVG use the same outlines.

Parsing a CJK collection takes a few hundred milliseconds, so fonts are loaded once per process and
each glyph outline is converted once (``functools.lru_cache``).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont

from .errors import SealFontError, SealSpecError
from .geometry import Contour, flatten

# style name -> (fontconfig pattern, family that must match, Debian package, fallback paths)
FONT_STYLES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "song": (
        "Noto Serif CJK SC:style=Bold",
        "Noto Serif CJK SC",
        "fonts-noto-cjk",
        ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",),
    ),
    "song-regular": (
        "Noto Serif CJK SC:style=Regular",
        "Noto Serif CJK SC",
        "fonts-noto-cjk",
        ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",),
    ),
    "kai": (
        "AR PL UKai CN",
        "AR PL UKai CN",
        "fonts-arphic-ukai",
        ("/usr/share/fonts/truetype/arphic/ukai.ttc",),
    ),
}

#: Extra font files, "style=/path/file.ttc#index" separated by ":" (e.g. for a real 仿宋 font).
ENV_FONTS = "CHOP_SEAL_FONTS"


@dataclass(frozen=True)
class FontRef:
    path: str
    index: int
    family: str


def _configured() -> dict[str, FontRef]:
    out: dict[str, FontRef] = {}
    for item in filter(None, os.environ.get(ENV_FONTS, "").split(":")):
        style, _, spec = item.partition("=")
        path, _, idx = spec.partition("#")
        out[style.strip()] = FontRef(path.strip(), int(idx or 0), style.strip())
    return out


def _family_index(path: str, family: str) -> int | None:
    """Index of ``family`` inside a font collection (or 0 for a single font that matches)."""
    try:
        from fontTools.ttLib import TTCollection

        if path.lower().endswith((".ttc", ".otc")):
            coll = TTCollection(path, lazy=True)
            for i, font in enumerate(coll.fonts):
                if font["name"].getDebugName(1) == family:
                    return i
            return None
        font = TTFont(path, lazy=True)
        return 0 if font["name"].getDebugName(1) == family else None
    except Exception:
        return None


@functools.cache
def find_font(style: str) -> FontRef:
    """Locate the font for a style ("song", "kai", ...) or a family name, or a path to a font file."""
    configured = _configured()
    if style in configured:
        ref = configured[style]
        if not Path(ref.path).is_file():
            raise SealFontError(
                f"配置的字体文件不存在 / configured font file not found: {ref.path}",
                code="font_file_missing",
                path=ref.path,
            )
        return ref
    if style in FONT_STYLES:
        pattern, family, package, fallbacks = FONT_STYLES[style]
    elif Path(style).is_file():
        return FontRef(style, 0, Path(style).stem)
    else:
        pattern, family, package, fallbacks = style, style, "", ()
    if shutil.which("fc-match"):
        try:
            res = subprocess.run(
                ["fc-match", pattern, "--format", "%{file}|%{index}|%{family}"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            path, _, rest = res.stdout.partition("|")
            idx, _, fams = rest.partition("|")
            if path and family in [f.strip() for f in fams.split(",")] and Path(path).is_file():
                return FontRef(path, int(idx or 0), family)
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    for path in fallbacks:
        if Path(path).is_file():
            index = _family_index(path, family)
            if index is not None:
                return FontRef(path, index, family)
    hint = (
        f"；请安装 Debian 软件包 {package} / install the Debian package {package}"
        if package
        else ""
    )
    raise SealFontError(
        f"找不到字体 “{family}” / font “{family}” not found{hint}", family=family, package=package
    )


class _SegmentPen(BasePen):
    """Records a glyph as cubic segments (quadratic TrueType curves are raised to cubics)."""

    def __init__(self, glyphset) -> None:
        super().__init__(glyphset)
        self.contours: list[Contour] = []
        self._segs: list[list[tuple[float, float]]] = []
        self._lines: list[bool] = []
        self._start = (0.0, 0.0)

    def _moveTo(self, pt):
        self._flush()
        self._start = pt

    def _lineTo(self, pt):
        p0 = self._getCurrentPoint()
        if p0 == pt:
            return
        self._segs.append([p0, pt, pt, pt])
        self._lines.append(True)

    def _curveToOne(self, pt1, pt2, pt3):
        self._segs.append([self._getCurrentPoint(), pt1, pt2, pt3])
        self._lines.append(False)

    def _closePath(self):
        p0 = self._getCurrentPoint()
        if p0 is not None and p0 != self._start:
            self._segs.append([p0, self._start, self._start, self._start])
            self._lines.append(True)
        self._flush()

    def _endPath(self):
        self._closePath()

    def _flush(self):
        if self._segs:
            segs = np.array(self._segs, dtype=np.float64)
            lines = np.array(self._lines, dtype=bool)
            # straight segments: put the inner control points on the chord (exact lines)
            p0, p3 = segs[lines, 0], segs[lines, 3]
            segs[lines, 1] = p0 + (p3 - p0) / 3
            segs[lines, 2] = p0 + 2 * (p3 - p0) / 3
            self.contours.append(Contour(segs, lines))
        self._segs, self._lines = [], []


@dataclass
class Glyph:
    contours: list[Contour]  # font units, y up
    advance: float  # font units
    bounds: tuple[float, float, float, float] | None  # ink box, font units


class LoadedFont:
    def __init__(self, ref: FontRef) -> None:
        self.ref = ref
        self.tt = TTFont(ref.path, fontNumber=ref.index, lazy=True)
        self.cmap = self.tt.getBestCmap()
        self.glyphset = self.tt.getGlyphSet()
        self.upem = self.tt["head"].unitsPerEm
        os2 = self.tt["OS/2"]
        # the ideographic em box: typo ascender/descender (880/-120 in Noto CJK)
        self.ascent = float(os2.sTypoAscender)
        self.descent = float(os2.sTypoDescender)
        self._hmtx = self.tt["hmtx"]
        # fontTools loads tables and charstrings lazily and is not thread-safe; web workers may
        # draw seals from several threads, so glyph extraction is serialised (it is cached anyway)
        self._lock = threading.Lock()

    def has(self, ch: str) -> bool:
        return ord(ch) in self.cmap

    def missing(self, text: str) -> list[str]:
        return sorted({ch for ch in text if not ch.isspace() and not self.has(ch)})

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - fonts live for the whole process
    def glyph(self, ch: str) -> Glyph:
        name = self.cmap.get(ord(ch))
        if name is None:
            raise SealSpecError(
                f"字体 {self.ref.family} 中没有字符 “{ch}” / no glyph for “{ch}”",
                code="glyph",
                chars=ch,
            )
        pen = _SegmentPen(self.glyphset)
        with self._lock:
            self.glyphset[name].draw(pen)
            advance = float(self._hmtx[name][0])
        pen._flush()
        if pen.contours:
            # bounds of the curve itself, not of its control points
            pts = np.concatenate([flatten(c, 2.0) for c in pen.contours])
            b = (
                float(pts[:, 0].min()),
                float(pts[:, 1].min()),
                float(pts[:, 0].max()),
                float(pts[:, 1].max()),
            )
        else:
            b = None
        return Glyph(pen.contours, advance, b)


@functools.lru_cache(maxsize=16)
def load_font(style: str) -> LoadedFont:
    ref = find_font(style)
    try:
        return LoadedFont(ref)
    except Exception as exc:  # a broken or unreadable file
        raise SealFontError(
            f"无法读取字体 / cannot read font {ref.path}#{ref.index}: {exc}",
            code="font_unreadable",
            path=ref.path,
        ) from exc
