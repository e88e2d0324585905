"""Appearances: the seal drawing, one appearance form per placement, the widget and the stamps.

* one form XObject per seal drawing, shared by every mark of the act;
* one appearance form per distinct placement (riding strips clip the shared drawing);
* the signature field's own widget shows the act's first (main) seal — poppler only recognises
  signature fields whose dictionary is the widget;
* one locked /Stamp annotation (print, locked, locked contents) per further mark, named
  ``chop-seal:<field>:<n>`` so that ``policy.CHOP_DIFF_POLICY`` can tell it from anything else;
* rewritten page dictionaries (or /Annots arrays) list the new annotations: page content streams
  are never touched, so earlier signatures stay intact.
"""

from __future__ import annotations

import zlib

from pyhanko.pdf_utils import generic

from .document import InputDocument, PageInfo
from .increment import Increment, pdf_rect, pdf_text, serialize, stream_object
from .layout import Placement, _fmt
from .marks import SealAppearance
from .policy import LOCKED, LOCKED_CONTENTS, seal_annotation_name

__all__ = ["seal_xobject", "add_seal_resources", "add_widgets", "list_on_pages"]


def seal_xobject(inc: Increment, seal: SealAppearance) -> int:
    """The seal drawing as one form XObject with BBox = its native size in points."""
    w, h = seal.width_pt, seal.height_pt
    res = []
    if seal.png is not None:
        pw, ph, rgb, alpha = seal.image_data()
        smask = b""
        if alpha is not None:
            sm = inc.add(
                stream_object(
                    b" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
                    b" /BitsPerComponent 8 /Filter /FlateDecode" % (pw, ph),
                    alpha,
                )
            )
            smask = b" /SMask %d 0 R" % sm
        im = inc.add(
            stream_object(
                b" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB"
                b" /BitsPerComponent 8 /Filter /FlateDecode%s" % (pw, ph, smask),
                rgb,
            )
        )
        res.append(b"/XObject << /Im0 %d 0 R >>" % im)
        data = b"q %s 0 0 %s 0 0 cm /Im0 Do Q" % (_fmt(w), _fmt(h))
        compressed = False
    else:
        if seal._content_cache is None:
            seal._content_cache = zlib.compress(seal.content or b"", 6)
        data = seal._content_cache
        compressed = True
    if seal.opacity < 1.0 or (seal.content is not None and b"/GS0" in seal.content):
        op = _fmt(max(0.0, min(1.0, seal.opacity)))
        res.append(b"/ExtGState << /GS0 << /Type /ExtGState /ca %s /CA %s >> >>" % (op, op))
    body = b" /Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources << %s >>" % (
        _fmt(w),
        _fmt(h),
        b" ".join(res),
    )
    if compressed:
        body += b" /Filter /FlateDecode"
        return inc.add(b"<<%s /Length %d>>\nstream\n%s\nendstream" % (body, len(data), data))
    return inc.add(stream_object(body, data))


def add_seal_resources(
    inc: Increment, placements: list[Placement]
) -> tuple[dict[int, int], int | None]:
    """One XObject per distinct seal drawing and, when a date is printed, the font."""
    seal_refs: dict[int, int] = {}
    font_ref: int | None = None
    for p in placements:
        if id(p.seal) not in seal_refs:
            seal_refs[id(p.seal)] = seal_xobject(inc, p.seal)
        if p.uses_font and font_ref is None:
            font_ref = inc.add(
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            )
    return seal_refs, font_ref


def add_widgets(
    inc: Increment,
    doc: InputDocument,
    placements: list[Placement],
    *,
    seal_refs: dict[int, int],
    font_ref: int | None,
    field_name: str,
    field_id: int,
) -> tuple[bytes, dict[int, list[int]]]:
    """The appearance forms, the further marks' stamps, and the widget entries of the field.

    Returns the widget keys to merge into the signature field's dictionary and the new
    annotations by 0-based page index.
    """
    ap_refs: dict[tuple, int] = {}
    widgets_by_page: dict[int, list[int]] = {}
    field_widget = b""
    for i, p in enumerate(placements):
        matrix = p.matrix
        key = (id(p.seal), p.ops, round(p.width, 4), round(p.height, 4), tuple(matrix or ()))
        ap = ap_refs.get(key)
        if ap is None:
            res = b"/XObject << /S0 %d 0 R >>" % seal_refs[id(p.seal)]
            if p.uses_font and font_ref is not None:  # add_seal_resources made it for this
                res += b" /Font << /F0 %d 0 R >>" % font_ref
            mtx = b" /Matrix " + pdf_rect(matrix) if matrix else b""
            ap = inc.add(
                stream_object(
                    b" /Type /XObject /Subtype /Form /BBox [0 0 %s %s]%s /Resources << %s >>"
                    % (_fmt(p.width), _fmt(p.height), mtx, res),
                    p.ops,
                )
            )
            ap_refs[key] = ap
        page_ref = b"/P %d %d R" % (p.page.ref.idnum, p.page.ref.generation)
        if i == 0:
            # the signature field's own widget carries the first (main) seal: poppler and
            # other readers only show signature fields whose dictionary is also the widget
            field_widget = (
                b" /Type /Annot /Subtype /Widget %s /Rect %s /F 132 /AP << /N %d 0 R >>"
                % (
                    page_ref,
                    pdf_rect(p.rect),
                    ap,
                )
            )
            wid = field_id
        else:
            # further marks are locked stamps named after the field (see policy.py)
            wid = inc.add(
                b"<< /Type /Annot /Subtype /Stamp %s /Rect %s /F %d /NM %s /AP << /N %d 0 R >> >>"
                % (
                    page_ref,
                    pdf_rect(p.rect),
                    4 | LOCKED | LOCKED_CONTENTS,
                    pdf_text(seal_annotation_name(field_name, i)),
                    ap,
                )
            )
        widgets_by_page.setdefault(p.page.index, []).append(wid)

    if not placements:
        # invisible signature: a zero-size widget on the first page
        first = doc.pages[0].ref
        field_widget = b" /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P %d %d R" % (
            first.idnum,
            first.generation,
        )
        widgets_by_page.setdefault(0, []).append(field_id)
    return field_widget, widgets_by_page


def list_on_pages(
    inc: Increment,
    doc: InputDocument,
    widgets_by_page: dict[int, list[int]],
    annots_fix: dict[int, list[generic.PdfObject]] | None = None,
) -> None:
    """Rewrite each page dictionary (or its indirect /Annots array) to list the new widgets.

    ``annots_fix`` (from ``annots.indirect_annotations``) replaces the existing /Annots items of
    the pages it names, so those pages are rewritten even when they get no widget.
    """
    reader = doc.reader
    fix = annots_fix or {}
    annots_updates: dict[tuple[int, int], list[generic.PdfObject]] = {}
    for page_index in sorted(set(widgets_by_page) | set(fix)):
        page: PageInfo = doc.pages[page_index]
        new_refs = [generic.IndirectObject(w, 0, None) for w in widgets_by_page.get(page_index, [])]
        raw = page.obj.raw_get("/Annots") if "/Annots" in page.obj else None
        if isinstance(raw, generic.IndirectObject):
            key = (raw.idnum, raw.generation)
            if key not in annots_updates:
                if page_index in fix:
                    annots_updates[key] = list(fix[page_index])
                else:
                    arr = generic.IndirectObject(raw.idnum, raw.generation, reader).get_object()
                    annots_updates[key] = list(arr) if isinstance(arr, generic.ArrayObject) else []
            annots_updates[key].extend(new_refs)
            continue
        new_page = generic.DictionaryObject(page.obj)
        if page_index in fix:
            old = list(fix[page_index])
        else:
            old = list(raw) if isinstance(raw, generic.ArrayObject) else []
        new_page[generic.NameObject("/Annots")] = generic.ArrayObject(old + new_refs)
        inc.put(page.ref.idnum, serialize(new_page), page.ref.generation)
    for (idnum, gen), items in annots_updates.items():
        inc.put(idnum, serialize(generic.ArrayObject(items)), gen)
