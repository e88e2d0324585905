"""``chop.sealart``: the seal engine. One :class:`SealSpec` becomes one :class:`Drawing` whose SVG,
PNG and PDF operators all come from the same vector geometry (glyph outlines, no fonts in PDFs).

Plain Python (numpy, fontTools, Pillow); no Django imports, so it runs in workers and the CLI.

    >>> from chop.sealart import SealSpec, SealKind, render
    >>> d = render(SealSpec(kind=SealKind.OFFICIAL, name="上海示例科技有限公司", size_mm=40))
    >>> png = d.to_png(dpi=300); ops = d.pdf_content()

Opacity: ``Drawing.pdf_content()`` never sets opacity; when ``Drawing.opacity < 1`` the caller
paints it under an ExtGState named ``/GS0`` (``Drawing.pdf_extgstate()`` gives its entries).
"""

from __future__ import annotations

import functools

from .drawing import PT_PER_MM, Drawing
from .errors import SealFontError, SealSpecError
from .extract import ExtractedSeal, InkExtractError, extract_ink
from .layout import build
from .spec import SealKind, SealSpec, check_look, official_seal_for, parse_color
from .text import check_purpose, check_seal_text, max_name_chars, normalise_seal_text

__all__ = [
    "PT_PER_MM",
    "Drawing",
    "ExtractedSeal",
    "InkExtractError",
    "SealFontError",
    "SealKind",
    "SealSpec",
    "SealSpecError",
    "check_purpose",
    "check_seal_text",
    "max_name_chars",
    "clear_cache",
    "extract_ink",
    "normalise_seal_text",
    "official_seal_for",
    "render",
]


@functools.lru_cache(maxsize=256)
def _render(spec: SealSpec) -> Drawing:
    default = "black" if spec.kind is SealKind.SIGNATURE else "red"
    color = parse_color(default if spec.color is None else spec.color)
    check_look(spec)
    lay = build(spec)
    return Drawing(lay.width, lay.height, lay.shapes, color, float(spec.opacity), lay.erase)


def render(spec: SealSpec) -> Drawing:
    """Draw a seal. Cached by spec (specs are frozen), and each Drawing caches its outputs, so
    stamping the same seal again costs a dictionary look-up. Raises :class:`SealSpecError`."""
    if not isinstance(spec, SealSpec):
        raise TypeError("render() takes a SealSpec")
    return _render(spec)


def clear_cache(fonts: bool = False) -> None:
    """Forget rendered seals (and, with ``fonts=True``, parsed fonts and glyph outlines)."""
    _render.cache_clear()
    if fonts:
        from . import fonts as _fonts

        _fonts.load_font.cache_clear()
        _fonts.find_font.cache_clear()
