"""The drawn seal and its three outputs (SVG, PNG, PDF operators), all from one list of shapes."""

from __future__ import annotations

import io
import math
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .errors import SealSpecError
from .geometry import Contour, Shape
from .raster import coverage

PT_PER_MM = 72 / 25.4


def _fmt(v: float) -> str:
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


@dataclass(eq=False)
class Drawing:
    """A seal as filled vector shapes in millimetres (origin bottom-left, y up).

    ``shapes`` are unioned ink; ``erase`` are non-overlapping holes worn into the ink (aged look).
    Outputs are cached per instance; :func:`chop.sealart.render` caches instances per spec.
    """

    width_mm: float
    height_mm: float
    shapes: list[Shape]
    color: tuple[int, int, int] = (224, 32, 27)
    opacity: float = 1.0
    erase: list[Shape] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ sizes
    @property
    def width_pt(self) -> float:
        return self.width_mm * PT_PER_MM

    @property
    def height_pt(self) -> float:
        return self.height_mm * PT_PER_MM

    @property
    def bbox_pt(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width_pt, self.height_pt)

    @property
    def color_hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.color)

    def glyphs(self) -> list[Shape]:
        return [s for s in self.shapes if s.role == "glyph"]

    # ------------------------------------------------------------------ PDF
    def pdf_content(self, scale_to_pt: bool = True) -> bytes:
        """A self-contained PDF content stream drawing the seal in ``(0, 0)-(width_pt, height_pt)``.

        Only path construction, ``W n`` clipping (aged look), ``rg`` and ``f`` inside ``q … Q``: no
        fonts, images or other resources, so it can be wrapped in a form XObject and clipped into
        strips for riding seals. Opacity is *not* applied here: if ``self.opacity < 1`` the caller
        adds ``/GS0 gs`` (ExtGState ``<< /ca opacity /CA opacity >>`` named ``/GS0`` in the form's
        resources) before painting the form, e.g. ``q /GS0 gs /Seal Do Q``.
        With ``scale_to_pt=False`` coordinates are in millimetres instead of points.
        """
        key = ("pdf", scale_to_pt)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        k = PT_PER_MM if scale_to_pt else 1.0
        r, g, b = (c / 255 for c in self.color)
        out = [f"q {_fmt(r)} {_fmt(g)} {_fmt(b)} rg"]
        if self.erase:
            w, h = self.width_mm * k, self.height_mm * k
            out.append(f"0 0 {_fmt(w)} {_fmt(h)} re")
            for s in self.erase:
                out.extend(_pdf_path(c, k) for c in s.contours)
            out.append("W* n")
        for s in self.shapes:
            out.extend(_pdf_path(c, k) for c in s.contours)
            out.append("f")
        out.append("Q")
        data = ("\n".join(out) + "\n").encode("ascii")
        self._cache[key] = data
        return data

    def pdf_extgstate(self) -> dict[str, float] | None:
        """The ExtGState entries the caller should register as ``/GS0`` (None when opaque)."""
        if self.opacity >= 1:
            return None
        return {"/ca": self.opacity, "/CA": self.opacity}

    def to_pdf(self) -> bytes:
        """A minimal one-page PDF whose page is exactly the seal (used by the command line)."""
        content = self.pdf_content()
        if self.opacity < 1:
            content = b"/GS0 gs\n" + content
            res = f"<< /ExtGState << /GS0 << /Type /ExtGState /ca {_fmt(self.opacity)} /CA {_fmt(self.opacity)} >> >> >>"
        else:
            res = "<< >>"
        # 5 decimals, rounded down: a box rounded *up* makes renderers add a row of pixels
        w, h = (f"{math.floor(v * 1e5) / 1e5:.5f}" for v in (self.width_pt, self.height_pt))
        objs = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Resources {res} /Contents 4 0 R >>".encode(),
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        ]
        buf = io.BytesIO()
        buf.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(objs, 1):
            offsets.append(buf.tell())
            buf.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
        xref = buf.tell()
        buf.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
        for off in offsets:
            buf.write(b"%010d 00000 n \n" % off)
        buf.write(
            b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
        )
        return buf.getvalue()

    # ------------------------------------------------------------------ SVG
    def to_svg(self) -> str:
        """Standalone SVG, sized in millimetres, with the same paths as the PDF operators."""
        hit = self._cache.get("svg")
        if hit is not None:
            return hit
        w, h = _fmt(self.width_mm), _fmt(self.height_mm)
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">',
        ]
        group_attrs = f'fill="{self.color_hex}" transform="matrix(1 0 0 -1 0 {h})"'
        if self.opacity < 1:
            group_attrs += f' opacity="{_fmt(self.opacity)}"'
        if self.erase:
            d = f"M0 0H{w}V{h}H0Z" + "".join(_svg_path(c) for s in self.erase for c in s.contours)
            parts.append(
                f'<defs><clipPath id="wear"><path clip-rule="evenodd" d="{d}"/></clipPath></defs>'
            )
            group_attrs += ' clip-path="url(#wear)"'
        parts.append(f"<g {group_attrs}>")
        for s in self.shapes:
            d = "".join(_svg_path(c) for c in s.contours)
            label = f' data-char="{s.text}"' if s.text and s.text not in '<>&"' else ""
            parts.append(f'<path class="{s.role}"{label} d="{d}"/>')
        parts.append("</g></svg>")
        svg = "\n".join(parts) + "\n"
        self._cache["svg"] = svg
        return svg

    # ------------------------------------------------------------------ raster
    MAX_PX = 8000  # longer side; 40 mm at 5000 dpi. Beyond that memory, not quality, is the limit

    def pixel_size(self, dpi: float | None = None, px: int | None = None) -> tuple[int, int, float]:
        """(width_px, height_px, px_per_mm); ``px`` sets the longer side, else ``dpi`` (300)."""
        if px is not None:
            if not (isinstance(px, int) and 1 <= px <= self.MAX_PX):
                raise SealSpecError(f"像素尺寸无效 / px must be 1–{self.MAX_PX}, got {px!r}")
            ppm = px / max(self.width_mm, self.height_mm)
        else:
            d = 300 if dpi is None else dpi
            longest = max(self.width_mm, self.height_mm) * d / 25.4 if d == d else 0
            if not (isinstance(d, int | float) and d > 0 and longest <= self.MAX_PX):
                raise SealSpecError(
                    f"分辨率无效 / dpi must be positive and give at most {self.MAX_PX} px, got {dpi!r}"
                )
            ppm = d / 25.4
        return max(1, round(self.width_mm * ppm)), max(1, round(self.height_mm * ppm)), ppm

    def alpha(self, dpi: float | None = None, px: int | None = None) -> np.ndarray:
        """Ink coverage (0..1 float32, rows top-down) before opacity. Not cached: the float
        array is 4 bytes a pixel, the encoded PNG that callers keep is far smaller."""
        W, H, ppm = self.pixel_size(dpi, px)
        a = coverage(self.shapes, W, H, ppm, self.height_mm, ss=5)
        if self.erase:
            a *= 1.0 - coverage(self.erase, W, H, ppm, self.height_mm, ss=5)
        return a

    def to_image(self, dpi: float | None = None, px: int | None = None) -> Image.Image:
        a = self.alpha(dpi, px)
        H, W = a.shape
        rgba = np.empty((H, W, 4), dtype=np.uint8)
        rgba[..., 0], rgba[..., 1], rgba[..., 2] = self.color
        rgba[..., 3] = np.rint(a * (255 * self.opacity)).astype(np.uint8)
        return Image.fromarray(rgba, "RGBA")

    def to_png(
        self, dpi: float | None = 300, px: int | None = None, compress_level: int = 3
    ) -> bytes:
        """RGBA PNG with a transparent background, at ``dpi`` or with the longer side ``px`` pixels."""
        key = ("png", dpi, px, compress_level)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        a = self.alpha(dpi, px)
        H, W = a.shape
        rgba = np.empty((H, W, 4), dtype=np.uint8)
        rgba[..., 0], rgba[..., 1], rgba[..., 2] = self.color
        rgba[..., 3] = np.rint(a * (255 * self.opacity)).astype(np.uint8)
        data = encode_png(rgba, self.pixel_size(dpi, px)[2] * 1000, compress_level)
        self._cache[key] = data
        return data


def encode_png(rgba: np.ndarray, px_per_metre: float, level: int = 3) -> bytes:
    """Minimal RGBA PNG writer (filter 0 + zlib). Why not Pillow's encoder: on a mostly transparent
    seal its adaptive row filters cost ~8 ms at 600 px for a larger file; this takes ~3 ms."""
    h, w, _ = rgba.shape
    raw = np.zeros((h, w * 4 + 1), dtype=np.uint8)  # a leading 0 per row: filter type None
    raw[:, 1:] = rgba.reshape(h, -1)
    ppm = round(px_per_metre)

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            chunk(b"IDAT", zlib.compress(raw.tobytes(), level)),
            chunk(b"IEND", b""),
        ]
    )


def _pdf_path(c: Contour, k: float) -> str:
    segs = c.segs * k
    out = [f"{segs[0, 0, 0]:.2f} {segs[0, 0, 1]:.2f} m"]
    for seg, line in zip(segs.tolist(), c.is_line.tolist(), strict=True):
        if line:
            out.append(f"{seg[3][0]:.2f} {seg[3][1]:.2f} l")
        else:
            out.append(
                f"{seg[1][0]:.2f} {seg[1][1]:.2f} {seg[2][0]:.2f} {seg[2][1]:.2f} {seg[3][0]:.2f} {seg[3][1]:.2f} c"
            )
    out.append("h")
    return " ".join(out)


def _svg_path(c: Contour) -> str:
    segs = c.segs
    out = [f"M{segs[0, 0, 0]:.3f} {segs[0, 0, 1]:.3f}"]
    for seg, line in zip(segs.tolist(), c.is_line.tolist(), strict=True):
        if line:
            out.append(f"L{seg[3][0]:.3f} {seg[3][1]:.3f}")
        else:
            out.append(
                f"C{seg[1][0]:.3f} {seg[1][1]:.3f} {seg[2][0]:.3f} {seg[2][1]:.3f} {seg[3][0]:.3f} {seg[3][1]:.3f}"
            )
    out.append("Z")
    return "".join(out)
