"""A seal's artwork as files to download: a transparent PNG at 300 dpi and an SVG in millimetres.

A seal drawn by the platform (generated on verification, made online, a signature rendered from
the name) has its drawing spec in the database, so its SVG is the engine's own vector drawing,
the same geometry as its PNG and its PDF stamps. An uploaded impression or a hand-drawn signature
has only pixels: its SVG wraps the PNG in an ``<image>`` of the right physical size, so a layout
program places it at the size the stamp really has.

The PNG is the stored image when it already is what a printer wants (RGBA, 300 dpi): generated
seals are. Otherwise it is resampled to 300 dpi at the seal's physical size, with its alpha.
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass

from PIL import Image

from .models import Seal

log = logging.getLogger(__name__)

DPI = 300
MM_PER_INCH = 25.4
# An image's own dpi tag is believed only at print resolution: phone photos say 72 and would make
# a 1000-pixel impression 35 cm wide.
MIN_TRUSTED_DPI = 150
# When nothing says how big the seal is: the common size of each kind (PRODUCT.md §2).
DEFAULT_LONG_SIDE_MM = {
    Seal.Kind.SIGNATURE: 50.0,
    Seal.Kind.PERSONAL: 20.0,
    Seal.Kind.LEGAL_REP: 20.0,
    Seal.Kind.FOREIGN: 45.0,
}
DEFAULT_SEAL_MM = 40.0


@dataclass(frozen=True)
class Artwork:
    png: bytes  # RGBA, 300 dpi
    width_mm: float
    height_mm: float


def spec_of(seal: Seal):
    """The seal's drawing spec as a :class:`chop.sealart.SealSpec`, or None if it has none (an
    uploaded or drawn seal) or the stored one no longer draws.

    The JSON keeps enums as their values and tuples as lists; unknown keys (written by a newer
    version) are dropped rather than failing the download.
    """
    from chop.sealart import SealKind, SealSpec, SealSpecError

    data = seal.spec if isinstance(seal.spec, dict) else {}
    if not data.get("kind"):
        return None
    names = set(SealSpec.field_names())
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    try:
        values["kind"] = SealKind(str(values["kind"]))
        return SealSpec(**values)
    except (SealSpecError, ValueError, TypeError):
        log.warning("seal %s: stored drawing spec does not draw", seal.pk)
        return None


def vector_svg(seal: Seal) -> str | None:
    """The engine's SVG for a seal with a drawing spec, else None."""
    from chop.sealart import SealSpecError, render

    spec = spec_of(seal)
    drawn_by_engine = (Seal.Origin.GENERATED, Seal.Origin.TEMPLATE, Seal.Origin.TYPED)
    if spec is None or seal.origin not in drawn_by_engine:
        return None
    try:
        return render(spec).to_svg()
    except SealSpecError:
        log.warning("seal %s: stored drawing spec does not render", seal.pk)
        return None


def _dpi(img: Image.Image) -> float | None:
    dpi = img.info.get("dpi")
    if not dpi:
        return None
    try:
        x = float(dpi[0])
    except (TypeError, ValueError, IndexError):
        return None
    return x if x >= MIN_TRUSTED_DPI else None


def physical_size_mm(seal: Seal, img: Image.Image) -> tuple[float, float]:
    """How big the seal is on paper: from its drawing, its image's print dpi, the size its spec
    asks for, or the usual size of its kind, in that order."""
    from chop.sealart import render

    w_px, h_px = img.size
    spec = spec_of(seal)
    if spec is not None:
        try:
            d = render(spec)
            return float(d.width_mm), float(d.height_mm)
        except Exception:  # a spec that no longer draws: fall through to the pixels
            pass
    dpi = _dpi(img)
    if dpi:
        return w_px / dpi * MM_PER_INCH, h_px / dpi * MM_PER_INCH
    data = seal.spec if isinstance(seal.spec, dict) else {}
    long_side = None
    for key in ("width_mm", "size_mm", "height_mm"):
        try:
            long_side = float(data.get(key)) if data.get(key) else None
        except (TypeError, ValueError):
            long_side = None
        if long_side:
            break
    long_side = long_side or DEFAULT_LONG_SIDE_MM.get(seal.kind, DEFAULT_SEAL_MM)
    scale = long_side / max(w_px, h_px)
    return w_px * scale, h_px * scale


def _is_print_ready(img: Image.Image) -> bool:
    dpi = img.info.get("dpi")
    return (
        img.format == "PNG"
        and img.mode == "RGBA"
        and bool(dpi)
        and all(abs(float(v) - DPI) < 0.5 for v in dpi)
    )


def artwork(seal: Seal) -> Artwork:
    """The stored image as a transparent PNG at 300 dpi, with its physical size."""
    with seal.image.open("rb") as fh:
        data = fh.read()
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        w_mm, h_mm = physical_size_mm(seal, img)
        if _is_print_ready(img):
            return Artwork(data, w_mm, h_mm)
        rgba = img.convert("RGBA")
    size = (
        max(1, round(w_mm / MM_PER_INCH * DPI)),
        max(1, round(h_mm / MM_PER_INCH * DPI)),
    )
    if size != rgba.size:
        rgba = rgba.resize(size, Image.LANCZOS)
    out = io.BytesIO()
    rgba.save(out, "PNG", dpi=(DPI, DPI), compress_level=3)  # optimize=True costs ~4x the time
    return Artwork(out.getvalue(), w_mm, h_mm)


def _mm(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def raster_svg(art: Artwork) -> str:
    """An SVG of the physical size that shows the PNG (for seals that have only pixels)."""
    w, h = _mm(art.width_mm), _mm(art.height_mm)
    uri = "data:image/png;base64," + base64.b64encode(art.png).decode("ascii")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">\n'
        f'<image x="0" y="0" width="{w}" height="{h}" preserveAspectRatio="none" '
        f'href="{uri}" xlink:href="{uri}"/>\n'
        "</svg>\n"
    )


def svg(seal: Seal) -> str:
    """The seal as SVG: the vector drawing when there is one, else the PNG wrapped at size."""
    return vector_svg(seal) or raster_svg(artwork(seal))


PREVIEW_PX = 240  # recognisable on the Seals page, far too coarse to print a convincing copy


def preview_png(seal: Seal) -> bytes:
    """The seal's image shrunk to fit ``PREVIEW_PX``, transparency kept: what those who may not
    download the artwork see (the Seals page, the signing page's seal chooser)."""
    with seal.image.open("rb") as fh, Image.open(fh) as img:
        img.load()
        small = img.convert("RGBA")
    small.thumbnail((PREVIEW_PX, PREVIEW_PX), Image.LANCZOS)
    out = io.BytesIO()
    small.save(out, "PNG", optimize=True)
    return out.getvalue()
