"""The AcroForm edit: the new signature field joins the document's form (or a new one).

Also the two questions signing asks the form first: which field names are taken, and whether a
certification signature (DocMDP) forbids adding a field at all.
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from .document import InputDocument
from .increment import Increment, serialize

__all__ = ["existing_field_names", "docmdp_permission", "add_field"]


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


def add_field(inc: Increment, doc: InputDocument, field_id: int) -> None:
    """List field ``field_id`` in the form's /Fields, set /SigFlags 3, drop /NeedAppearances."""
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
            del form["/NeedAppearances"]
            changed = True
        return form if changed else None

    if isinstance(acro_raw, generic.IndirectObject) and not isinstance(
        acro_raw.get_object(), generic.DictionaryObject
    ):
        acro_raw = None  # dangling or broken reference: the catalog gets a fresh form
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
