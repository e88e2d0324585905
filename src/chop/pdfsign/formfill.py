"""Filled-in form values keep showing after signing: appearances for /NeedAppearances forms.

A form saved with ``/NeedAppearances true`` (LibreOffice does this, and so do viewers that fill
in a value without drawing it) asks every reader to draw the field values itself. Signing must
drop that flag — a reader that redraws fields after signing changes what was signed, and Adobe
Reader warns about it — and once it is gone poppler and pdfium show only the stored appearance
streams, which are empty or stale, so the values vanish from the signed contract.

So before the first signature the act draws what the flag asked for, in its own increment:

* text fields (and combo boxes) get a ``/Tx`` appearance with the value in the field's /DA
  font, size (0 = fit), colour and quadding; single-line values shrink to fit, multi-line
  values wrap. Values the /DA font cannot encode (e.g. Chinese in a WinAnsi Helvetica) are
  drawn as outlines from an installed CJK font (``textpath``), like the date under a seal;
* check boxes and radio buttons get their /AS state set from /V, and a check-box without an
  appearance for its state gets one (a tick drawn as a path: no font needed);
* background and border from /MK are drawn like viewers do.

Password fields, list boxes, push buttons and rich text are left as they are. Fields whose
value cannot be drawn at all are left alone rather than blanked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pyhanko.pdf_utils import generic

from .increment import Increment, serialize, stream_object
from .layout import _fmt
from .textpath import text_path_ops

__all__ = ["needs_appearances", "refresh_appearances"]

_INHERITED = ("/FT", "/Ff", "/V", "/DA", "/Q")
_PASSWORD = 1 << 13
_MULTILINE = 1 << 12
_RADIO = 1 << 15
_PUSHBUTTON = 1 << 16
_COMBO = 1 << 17
_SIMPLE_FONTS = ("/Type1", "/TrueType", "/MMType1")
_PAD = 2.0

# Helvetica advance widths (1/1000 em) for ASCII 32..126, from the standard font metrics; other
# WinAnsi characters use 556. Used when a /DR font carries no /Widths (the standard 14 fonts).
_HELVETICA = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]  # fmt: skip

_TF = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+([-+]?\d*\.?\d+)\s+Tf")
_COLOR = re.compile(rb"((?:[-+]?\d*\.?\d+\s+){1,4})(g|rg|k)\b")


def needs_appearances(form: generic.DictionaryObject) -> bool:
    """Whether the form asks readers to draw the field values themselves."""
    value = form.get("/NeedAppearances")
    return isinstance(value, generic.BooleanObject) and bool(value)


@dataclass
class _Font:
    name: str  # resource name
    ref: generic.PdfObject | None  # the /DR font, or None to use our own Helvetica
    widths: dict[int, float]  # byte -> width in 1/1000 em (simple fonts)
    simple: bool

    def width(self, data: bytes) -> float:
        return sum(self.widths.get(b, 556.0) for b in data) / 1000.0


class _Writer:
    """One refresh: the act's increment, the form's defaults and our fallback font."""

    def __init__(self, inc: Increment, form: generic.DictionaryObject) -> None:
        self.inc = inc
        self.form = form
        self.helv_id: int | None = None
        self.written: set[int] = set()
        try:
            self.dr_fonts = form["/DR"]["/Font"]
        except (KeyError, TypeError):
            self.dr_fonts = generic.DictionaryObject()

    def helvetica(self) -> generic.IndirectObject:
        if self.helv_id is None:
            self.helv_id = self.inc.add(
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            )
        return generic.IndirectObject(self.helv_id, 0, None)

    def font(self, name: str | None) -> _Font:
        raw = None
        if name is not None and isinstance(self.dr_fonts, generic.DictionaryObject):
            raw = self.dr_fonts.raw_get("/" + name) if "/" + name in self.dr_fonts else None
        font = None
        try:
            font = raw.get_object() if raw is not None else None
        except Exception:
            font = None
        if not isinstance(font, generic.DictionaryObject):
            return _Font("Helv", None, _helvetica_widths(), True)
        subtype = font.get("/Subtype")
        widths: dict[int, float] = {}
        try:
            first = int(font["/FirstChar"])
            widths = {first + i: float(w) for i, w in enumerate(font["/Widths"])}
        except (KeyError, TypeError, ValueError):
            base = str(font.get("/BaseFont", ""))
            widths = dict.fromkeys(range(256), 600.0) if "Courier" in base else _helvetica_widths()
        return _Font(name or "Helv", raw, widths, subtype in _SIMPLE_FONTS)


def _helvetica_widths() -> dict[int, float]:
    return {32 + i: float(w) for i, w in enumerate(_HELVETICA)}


def refresh_appearances(inc: Increment, form: generic.DictionaryObject) -> int:
    """Draw every field value the form asked readers to draw; returns how many widgets changed."""
    w = _Writer(inc, form)
    defaults = {k: form[k] for k in ("/DA", "/Q") if k in form}
    fields = form.get("/Fields")
    if not isinstance(fields, generic.ArrayObject):
        return 0
    changed = 0
    for attrs, widgets in _terminal_fields(fields, defaults):
        ft = attrs.get("/FT")
        flags = _int(attrs.get("/Ff"))
        for ref in widgets:
            if ref.idnum in w.written:
                continue
            try:
                widget = ref.get_object()
                if not isinstance(widget, generic.DictionaryObject):
                    continue
                if ft == "/Tx" and not flags & _PASSWORD:
                    new = _text_widget(w, widget, attrs, _text_value(attrs.get("/V")), flags)
                elif ft == "/Ch" and flags & _COMBO:
                    new = _text_widget(w, widget, attrs, _choice_value(attrs.get("/V")), 0)
                elif ft == "/Btn" and not flags & _PUSHBUTTON:
                    new = _button_widget(w, widget, attrs, flags)
                else:
                    new = None
            except (KeyError, TypeError, ValueError, AttributeError):
                new = None  # a broken widget keeps its old appearance
            if new is not None:
                inc.put(ref.idnum, serialize(new), ref.generation)
                w.written.add(ref.idnum)
                changed += 1
    return changed


def _terminal_fields(
    fields: generic.ArrayObject, inherited: dict
) -> Iterator[tuple[dict, list[generic.IndirectObject]]]:
    """(inherited attributes, widget references) of every terminal field, depth first."""
    seen: set[int] = set()
    stack: list[tuple[generic.PdfObject, dict]] = [(f, inherited) for f in reversed(fields)]
    while stack:
        item, parent = stack.pop()
        if not isinstance(item, generic.IndirectObject) or item.idnum in seen:
            continue
        seen.add(item.idnum)
        try:
            f = item.get_object()
        except Exception:
            continue
        if not isinstance(f, generic.DictionaryObject):
            continue
        attrs = dict(parent)
        for k in _INHERITED:
            if k in f:
                attrs[k] = f[k]
        kids = f.get("/Kids")
        if isinstance(kids, generic.ArrayObject) and len(kids):
            widgets, children = [], []
            for kid in kids:
                try:
                    k = kid.get_object()
                except Exception:
                    continue
                if isinstance(k, generic.DictionaryObject) and "/T" in k:
                    children.append(kid)
                elif isinstance(kid, generic.IndirectObject):
                    widgets.append(kid)
            if widgets:
                yield attrs, widgets
            stack.extend((c, attrs) for c in reversed(children))
        elif f.get("/Subtype") == "/Widget" or "/Rect" in f:
            yield attrs, [item]


def _int(v) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def _text_value(v) -> str | None:
    if isinstance(v, generic.ByteStringObject):
        # pyHanko keeps strings it cannot read as PDFDocEncoding (e.g. with a line break) as bytes
        raw = bytes(v)
        if raw.startswith(b"\xfe\xff"):
            return raw[2:].decode("utf-16-be", "replace")
        return raw.decode("latin-1")
    if isinstance(v, (generic.TextStringObject, str)):
        return str(v)
    return None


def _choice_value(v) -> str | None:
    if isinstance(v, generic.ArrayObject) and len(v):
        v = v[0]
    return _text_value(v)


def _rect(widget: generic.DictionaryObject) -> tuple[float, float, int]:
    """(width, height) of the appearance box and the /MK /R rotation."""
    x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
    w, h = abs(x1 - x0), abs(y1 - y0)
    rot = 0
    mk = widget.get("/MK")
    if isinstance(mk, generic.DictionaryObject):
        rot = _int(mk.get("/R")) % 360
    if rot in (90, 270):
        w, h = h, w
    return w, h, rot if rot in (0, 90, 180, 270) else 0


def _matrix(rot: int, w: float, h: float) -> bytes:
    """The /Matrix that turns a (w x h) appearance by /MK /R into the widget's rectangle."""
    return {
        90: b" /Matrix [0 1 -1 0 %s 0]" % _fmt(h),
        180: b" /Matrix [-1 0 0 -1 %s %s]" % (_fmt(w), _fmt(h)),
        270: b" /Matrix [0 -1 1 0 0 %s]" % _fmt(w),
    }.get(rot, b"")


def _colour(arr, stroke: bool) -> bytes:
    """An /MK colour array as a fill (or stroke) operator; b"" for none/transparent."""
    if not isinstance(arr, generic.ArrayObject) or not len(arr):
        return b""
    vals = b" ".join(_fmt(float(v)) for v in arr)
    op = {1: b"g", 3: b"rg", 4: b"k"}.get(len(arr))
    if op is None:
        return b""
    return vals + b" " + (op.upper() if stroke else op)


def _frame(widget: generic.DictionaryObject, w: float, h: float) -> tuple[bytes, float]:
    """Background and border from /MK and /BS, and the border width."""
    mk = widget.get("/MK")
    mk = mk if isinstance(mk, generic.DictionaryObject) else generic.DictionaryObject()
    out = b""
    bg = _colour(mk.get("/BG"), stroke=False)
    if bg:
        out += b"%s 0 0 %s %s re f\n" % (bg, _fmt(w), _fmt(h))
    bw = 0.0
    bc = _colour(mk.get("/BC"), stroke=True)
    if bc:
        bs = widget.get("/BS")
        bw = float(bs.get("/W", 1)) if isinstance(bs, generic.DictionaryObject) else 1.0
        if bw > 0:
            out += b"%s %s w %s %s %s %s re S\n" % (
                bc,
                _fmt(bw),
                _fmt(bw / 2),
                _fmt(bw / 2),
                _fmt(w - bw),
                _fmt(h - bw),
            )
    return out, bw


def _da(attrs: dict) -> tuple[str | None, float, bytes]:
    """(font resource name, size, fill colour operator) from a /DA string."""
    raw = str(attrs.get("/DA") or "").encode("latin-1", "replace")
    name, size = None, 0.0
    m = next(reversed(list(_TF.finditer(raw))), None)  # the last Tf wins, as in a content stream
    if m is not None:
        name, size = m.group(1).decode("latin-1"), float(m.group(2))
    colour = b"0 g"
    c = next(reversed(list(_COLOR.finditer(raw))), None)
    if c is not None:
        colour = c.group(1).strip() + b" " + c.group(2)
    return name, size, colour


def _escape(data: bytes) -> bytes:
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


class _Line:
    """One line of text, drawn with the field's font or as outlines."""

    def __init__(self, text: str, font: _Font | None, size: float) -> None:
        self.text = text
        self.font = font
        self.size = size
        self.data = text.encode("cp1252") if font is not None else b""
        if font is not None:
            self.width = font.width(self.data) * size
            self.outline = b""
        else:
            drawn = text_path_ops(text, size) if text else (b"", 0.0)
            if drawn is None:
                raise ValueError("no glyphs for this text")
            self.outline, self.width = drawn

    def ops(self, x: float, y: float, colour: bytes) -> bytes:
        if not self.text:
            return b""
        if self.font is not None:
            return b"BT /%s %s Tf %s %s %s Td (%s) Tj ET\n" % (
                self.font.name.encode("latin-1"),
                _fmt(self.size),
                colour,
                _fmt(x),
                _fmt(y),
                _escape(self.data),
            )
        return b"q %s 1 0 0 1 %s %s cm %s Q\n" % (colour, _fmt(x), _fmt(y), self.outline)


def _wrap(text: str, measure, width: float) -> list[str]:
    """Words wrapped to ``width``; a word wider than a line (or unspaced text such as Chinese)
    is broken between characters."""
    lines: list[str] = []
    for para in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = ""
        for token in re.findall(r"\S+\s*|\s+", para):
            if measure((line + token).rstrip()) <= width:
                line += token
                continue
            if line.strip():
                lines.append(line.rstrip())
                line = ""
            for ch in token.lstrip() if not line else token:
                if line and measure(line + ch) > width:
                    lines.append(line.rstrip())
                    line = ""
                line += ch
        lines.append(line.rstrip())
    return lines


@functools.lru_cache(maxsize=4096)
def _outline_advance(ch: str) -> float | None:
    """Advance width of one character drawn as outlines, per point of font size."""
    drawn = text_path_ops(ch, 1000.0)
    return None if drawn is None else drawn[1] / 1000.0


def _measure(font: _Font | None, size: float):
    """Width in points of a string at ``size``, summed per character (no kerning, like readers
    laying out field values)."""
    if font is not None:
        return lambda t: font.width(t.encode("cp1252")) * size

    def outline(t: str) -> float:
        total = 0.0
        for ch in t:
            adv = _outline_advance(ch)
            if adv is None:
                raise ValueError("no glyph for this character")
            total += adv * size
        return total

    return outline


def _text_widget(
    w: _Writer, widget: generic.DictionaryObject, attrs: dict, value: str | None, flags: int
) -> generic.DictionaryObject | None:
    if value is None:
        return None
    width, height, rot = _rect(widget)
    if width <= 0 or height <= 0:
        return None
    frame, bw = _frame(widget, width, height)
    name, size, colour = _da(attrs)
    font: _Font | None = w.font(name)
    assert font is not None
    try:
        if not font.simple:
            raise UnicodeEncodeError("cp1252", value, 0, 1, "not a simple font")
        value.encode("cp1252")
    except UnicodeEncodeError:
        font = None  # outlines from a CJK font
    pad = _PAD + bw
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    multiline = bool(flags & _MULTILINE)
    auto = size <= 0
    if auto:
        size = 12.0 if multiline else max(4.0, min(inner_h / 1.16, 12.0 * 4))
    quad = _int(attrs.get("/Q"))

    def line(text: str, sz: float) -> _Line:
        return _Line(text, font, sz)

    body = b""
    if multiline:
        texts = _wrap(value, _measure(font, size), inner_w)
        lead = size * 1.16
        y = height - pad - size * 0.9
        for t in texts:
            ln = line(t, size)
            body += ln.ops(_x(quad, pad, inner_w, ln.width), y, colour)
            y -= lead
    else:
        text = value.replace("\r", " ").replace("\n", " ")
        ln = line(text, size)
        if ln.width > inner_w > 0 and auto:
            ln = line(text, max(4.0, size * inner_w / ln.width))
        y = (height - ln.size) / 2 + 0.22 * ln.size
        body = ln.ops(_x(quad, pad, inner_w, ln.width), y, colour)
    clip = b"%s %s %s %s re W n\n" % (
        _fmt(bw),
        _fmt(bw),
        _fmt(width - 2 * bw),
        _fmt(height - 2 * bw),
    )
    content = b"/Tx BMC\nq\n" + frame + clip + body + b"Q\nEMC"
    res = b""
    if font is not None and body:
        ref = font.ref if font.ref is not None else w.helvetica()
        res = b" /Resources << /Font << /%s %s >> >>" % (
            font.name.encode("latin-1"),
            serialize(ref),
        )
    ap_id = w.inc.add(
        stream_object(
            b" /Type /XObject /Subtype /Form /BBox [0 0 %s %s]%s%s"
            % (_fmt(width), _fmt(height), _matrix(rot, width, height), res),
            content,
            compress=True,
        )
    )
    new = generic.DictionaryObject(widget)
    new[generic.NameObject("/AP")] = generic.DictionaryObject(
        {generic.NameObject("/N"): generic.IndirectObject(ap_id, 0, None)}
    )
    return new


def _x(quad: int, pad: float, inner_w: float, text_w: float) -> float:
    if quad == 1:
        return pad + (inner_w - text_w) / 2
    if quad == 2:
        return pad + inner_w - text_w
    return pad


def _button_widget(
    w: _Writer, widget: generic.DictionaryObject, attrs: dict, flags: int
) -> generic.DictionaryObject | None:
    value = attrs.get("/V")
    state = str(value) if isinstance(value, generic.NameObject) else "/Off"
    ap = widget.get("/AP")
    normal = ap.get("/N") if isinstance(ap, generic.DictionaryObject) else None
    on_names = (
        [str(k) for k in normal if k != "/Off"]
        if isinstance(normal, generic.DictionaryObject)
        else []
    )
    new = generic.DictionaryObject(widget)
    if on_names:
        wanted = state if state in on_names else "/Off"
        if widget.get("/AS") == wanted:
            return None
        new[generic.NameObject("/AS")] = generic.NameObject(wanted)
        return new
    if flags & _RADIO:
        return None  # which kid is which state is unknowable without appearances
    on = state if state != "/Off" else "/Yes"
    width, height, rot = _rect(widget)
    if width <= 0 or height <= 0:
        return None
    frame, bw = _frame(widget, width, height)
    _, _, colour = _da(attrs)
    stroke = colour.upper()  # 0 g -> 0 G, r g b rg -> RG, c m y k k -> K
    s = min(width, height) - 2 * (bw + 1)
    ox, oy = (width - s) / 2, (height - s) / 2
    tick = b"q %s %s w 1 J 1 j %s %s m %s %s l %s %s l S Q\n" % (
        stroke,
        _fmt(max(1.0, s / 8)),
        _fmt(ox + s * 0.15),
        _fmt(oy + s * 0.5),
        _fmt(ox + s * 0.4),
        _fmt(oy + s * 0.2),
        _fmt(ox + s * 0.85),
        _fmt(oy + s * 0.85),
    )
    head = b" /Type /XObject /Subtype /Form /BBox [0 0 %s %s]%s" % (
        _fmt(width),
        _fmt(height),
        _matrix(rot, width, height),
    )
    on_id = w.inc.add(stream_object(head, frame + tick))
    off_id = w.inc.add(stream_object(head, frame))
    new[generic.NameObject("/AP")] = generic.DictionaryObject(
        {
            generic.NameObject("/N"): generic.DictionaryObject(
                {
                    generic.NameObject(on): generic.IndirectObject(on_id, 0, None),
                    generic.NameObject("/Off"): generic.IndirectObject(off_id, 0, None),
                }
            )
        }
    )
    new[generic.NameObject("/AS")] = generic.NameObject(on if state == on else "/Off")
    return new
