"""The AcroForm edit: the new signature field joins the document's form (or a new one).

Also the two questions signing asks the form first: which field names are taken, and whether a
certification signature (DocMDP) forbids adding a field at all.
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from .annots import has_signatures
from .document import InputDocument
from .errors import PdfSignError
from .formfill import needs_appearances, refresh_appearances
from .increment import Increment, serialize

__all__ = ["existing_field_names", "docmdp_permission", "add_field", "shared_form"]


def existing_field_names(doc: InputDocument) -> set[str]:
    names: set[str] = set()
    try:
        fields = doc.root["/AcroForm"]["/Fields"]
    except (KeyError, TypeError):
        return names
    for f in fields:
        try:
            t = f.get_object().get("/T")
            if t is not None:
                names.add(str(t))
        except Exception:
            continue
    return names


def docmdp_permission(doc: InputDocument) -> int | None:
    """The /P of a certification signature's DocMDP transform, if the document has one."""
    try:
        sig = doc.root["/Perms"]["/DocMDP"]
        for ref in sig.get("/Reference", []):
            ref = ref.get_object()
            if ref.get("/TransformMethod") == "/DocMDP":
                return int(ref.get("/TransformParams", {}).get("/P", 2))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return None


def refuse_if_certified(doc: InputDocument) -> None:
    """Refuse a document its author certified (DocMDP): with no changes allowed at all, or
    allowing only the signature fields it already has. Chop adds its own field, which every
    validator would report as a forbidden change. Shared by signing and the upload precheck."""
    mdp = docmdp_permission(doc)
    if mdp == 1:
        raise PdfSignError(
            "this document is certified with no changes allowed; it cannot be signed again",
            code="certified_no_changes",
        )
    if mdp is not None:
        raise PdfSignError(
            "this document is certified by its author (DocMDP) and only allows signing "
            "the signature fields it already has; Chop cannot add a seal to it",
            code="certified_document",
        )


# what an /AcroForm dictionary may hold (ISO 32000-2, 12.7.3); a shared dictionary is copied
# to a fresh form with these entries only
_FORM_KEYS = ("/Fields", "/NeedAppearances", "/SigFlags", "/CO", "/DR", "/DA", "/Q", "/XFA")
# entries that mark a dictionary as something else too (the document information dictionary,
# a catalog or page)
_FOREIGN_KEYS = frozenset(
    {"/Type", "/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer",
     "/CreationDate", "/ModDate", "/Trapped", "/Pages", "/Parent", "/Contents", "/MediaBox"}
)  # fmt: skip


def shared_form(doc: InputDocument, acro_ref: generic.IndirectObject) -> bool:
    """Whether the /AcroForm object is also used as something else (seen in a real file: the
    document information dictionary), so that form entries must not be written into it."""
    idnum = acro_ref.idnum
    trailer = doc.reader.trailer_view
    info = trailer.raw_get("/Info") if "/Info" in trailer else None
    if isinstance(info, generic.IndirectObject) and info.idnum == idnum:
        return True
    if doc.root_ref.idnum == idnum:
        return True
    for key in doc.root:
        if key == "/AcroForm":
            continue
        v = doc.root.raw_get(key)
        if isinstance(v, generic.IndirectObject) and v.idnum == idnum:
            return True
    if doc.is_page(idnum):
        return True
    form = acro_ref.get_object()
    return isinstance(form, generic.DictionaryObject) and bool(_FOREIGN_KEYS & set(form.keys()))


def add_field(inc: Increment, doc: InputDocument, field_id: int) -> None:
    """List field ``field_id`` in the form's /Fields, set /SigFlags 3, drop /NeedAppearances.

    Before dropping /NeedAppearances from a not yet signed document, the field values it asked
    readers to draw are drawn into appearance streams (``formfill``), so they keep showing. A
    form dictionary shared with another object is never written to: a fresh one replaces it.
    """
    field_ref = generic.IndirectObject(field_id, 0, None)
    root = doc.root
    root_ref = doc.root_ref
    acro_raw = root.raw_get("/AcroForm") if "/AcroForm" in root else None
    sigflags = generic.NumberObject(3)

    def updated_form(form: generic.DictionaryObject) -> generic.DictionaryObject | None:
        """The form dict with the new field, or None if only an indirect /Fields array changed."""
        form = generic.DictionaryObject(form)
        changed = False
        fields_raw = form.raw_get("/Fields") if "/Fields" in form else None
        if isinstance(fields_raw, generic.IndirectObject):
            arr = fields_raw.get_object()
            items = list(arr) if isinstance(arr, generic.ArrayObject) else []
            inc.put(
                fields_raw.idnum,
                serialize(generic.ArrayObject([*items, field_ref])),
                fields_raw.generation,
            )
        else:
            items = list(fields_raw) if isinstance(fields_raw, generic.ArrayObject) else []
            form[generic.NameObject("/Fields")] = generic.ArrayObject([*items, field_ref])
            changed = True
        if form.get("/SigFlags") != 3:
            form[generic.NameObject("/SigFlags")] = sigflags
            changed = True
        if "/NeedAppearances" in form:
            if needs_appearances(form) and not has_signatures(doc):
                refresh_appearances(inc, form)
            del form["/NeedAppearances"]
            changed = True
        return form if changed else None

    if isinstance(acro_raw, generic.IndirectObject) and not isinstance(
        acro_raw.get_object(), generic.DictionaryObject
    ):
        acro_raw = None  # dangling or broken reference: the catalog gets a fresh form
    if isinstance(acro_raw, generic.IndirectObject) and shared_form(doc, acro_raw):
        shared = acro_raw.get_object()
        acro_raw = generic.DictionaryObject(
            {generic.NameObject(k): shared.raw_get(k) for k in _FORM_KEYS if k in shared}
        )  # a fresh form below; the shared object stays as it was
    if isinstance(acro_raw, generic.IndirectObject):
        form = acro_raw.get_object()
        new_form = updated_form(form)
        if new_form is not None:
            inc.put(acro_raw.idnum, serialize(new_form), acro_raw.generation)
    else:
        if isinstance(acro_raw, generic.DictionaryObject):
            new_form = updated_form(acro_raw) or generic.DictionaryObject(acro_raw)
        else:
            new_form = generic.DictionaryObject(
                {
                    generic.NameObject("/Fields"): generic.ArrayObject([field_ref]),
                    generic.NameObject("/SigFlags"): sigflags,
                }
            )
        form_id = inc.add(serialize(new_form))
        new_root = generic.DictionaryObject(root)
        new_root[generic.NameObject("/AcroForm")] = generic.IndirectObject(form_id, 0, None)
        inc.put(root_ref.idnum, serialize(new_root), root_ref.generation)
