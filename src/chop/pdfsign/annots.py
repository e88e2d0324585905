"""Inline annotations: the first signing act makes every /Annots entry an indirect object.

Some producers write annotation dictionaries directly inside a page's /Annots array. That is
legal, but the difference analysis of every validator (pyHanko's, and so Chop's ``verify``)
identifies annotations by object number: when a *later* act appends its widget to such an
array, the earlier signature is judged invalid ("Array contains direct objects"), because the
changed array holds objects it cannot tell apart. Nothing after a signature may rewrite them.

So the first act — while no signature covers the document yet — moves each direct annotation
dictionary into an object of its own, inside its own incremental update, on every page (the
validators walk every page, not only the ones a later act touches). The annotations keep their
content and order; direct non-dictionary junk (e.g. ``null``) in an /Annots array is dropped.
Documents that already carry a signature are left alone: rewriting them would itself be a
change after that signature.
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from .document import InputDocument
from .increment import Increment, serialize

__all__ = ["has_signatures", "indirect_annotations", "AnnotsFix"]

# page index -> the page's new /Annots items (all indirect)
AnnotsFix = dict[int, list[generic.PdfObject]]


def has_signatures(doc: InputDocument) -> bool:
    """Whether any form field already holds a signature value (a signed /Sig field)."""
    try:
        fields = doc.root["/AcroForm"]["/Fields"]
    except (KeyError, TypeError):
        return False
    stack = list(fields) if isinstance(fields, generic.ArrayObject) else []
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, generic.IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
        try:
            f = item.get_object()
        except Exception:
            continue
        if not isinstance(f, generic.DictionaryObject):
            continue
        if f.get("/FT") == "/Sig" and "/V" in f:
            return True
        kids = f.get("/Kids")
        if isinstance(kids, generic.ArrayObject):
            stack.extend(kids)
    return False


def _needs_fix(items: generic.ArrayObject) -> bool:
    return any(not isinstance(a, generic.IndirectObject) for a in items)


def _fixed(inc: Increment, items: generic.ArrayObject) -> list[generic.PdfObject]:
    out: list[generic.PdfObject] = []
    for a in items:
        if isinstance(a, generic.IndirectObject):
            out.append(a)
        elif isinstance(a, generic.DictionaryObject):
            out.append(generic.IndirectObject(inc.add(serialize(a)), 0, None))
        # anything else direct (null, numbers) is not an annotation: dropped
    return out


def indirect_annotations(inc: Increment, doc: InputDocument) -> AnnotsFix:
    """Move direct annotation dicts into new objects of ``inc``; the new /Annots item lists.

    Only the lists are returned: ``appearance.list_on_pages`` writes them (together with the
    act's own widgets) into the page dictionaries or the indirect /Annots arrays, so no object
    is written twice in one update. Returns ``{}`` for a document that is already signed.
    """
    if has_signatures(doc):
        return {}  # too late: a later act must not rewrite signed objects
    # only the page dictionaries whose bytes mention /Annots are parsed
    candidates = [(page.index, page.obj.raw_get("/Annots")) for page in doc.pages_with(b"/Annots")]
    if not candidates:
        return {}
    fix: AnnotsFix = {}
    by_array: dict[int, list[generic.PdfObject]] = {}  # an indirect array shared by pages
    for index, raw in candidates:
        if isinstance(raw, generic.IndirectObject):
            if raw.idnum in by_array:
                fix[index] = by_array[raw.idnum]
                continue
            try:
                arr = raw.get_object()
            except Exception:
                continue
        else:
            arr = raw
        if isinstance(arr, generic.ArrayObject) and _needs_fix(arr):
            items = _fixed(inc, arr)
            fix[index] = items
            if isinstance(raw, generic.IndirectObject):
                by_array[raw.idnum] = items
    return fix
