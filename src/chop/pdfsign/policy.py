"""The platform's difference policy: what a later signing act may add after a signature.

A Chop signing act adds exactly one signature field (whose widget shows the main seal) and, for
every further mark of the act (multi-page seals, riding-seal strips), one *locked* /Stamp
annotation named ``chop-seal:<field name>:<n>``. pyHanko's default policy rejects any new
non-widget annotation, so a second company's riding seal would make the first company's
signature look tampered with. ``CHOP_DIFF_POLICY`` accepts precisely:

* new signature fields (and document timestamps) with their widgets, as pyHanko does;
* new locked seal stamps belonging to a signature field created in the same revision, whose
  appearance objects are all new — qualified as FORM_FILLING, because they are the appearance
  of the signature being filled in;
* DSS / metadata / object-stream housekeeping (LTA updates), as pyHanko does.

Everything else — filling or editing other form fields, other annotations, changed page
content, removed pages or annotations, freed objects — stays unexplained and is reported as a
suspicious modification.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import HistoricalResolver, RawPdfPath
from pyhanko.sign.diff_analysis import (
    CatalogModificationRule,
    DocInfoRule,
    DSSCompareRule,
    FieldComparisonContext,
    FieldMDPRule,
    FormUpdate,
    FormUpdatingRule,
    MetadataUpdateRule,
    ModificationLevel,
    ObjectStreamRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    SuspiciousModification,
    XrefStreamRule,
)
from pyhanko.sign.diff_analysis.commons import compare_dicts
from pyhanko.sign.diff_analysis.rules_api import RelativeContext

__all__ = ["SEAL_NAME_PREFIX", "SealAnnotationRule", "CHOP_DIFF_POLICY", "seal_annotation_name"]

SEAL_NAME_PREFIX = "chop-seal:"
LOCKED = 128
LOCKED_CONTENTS = 512
_STAMP_KEYS = frozenset({"/Type", "/Subtype", "/Rect", "/F", "/AP", "/P", "/NM"})


def seal_annotation_name(field_name: str, n: int) -> str:
    return f"{SEAL_NAME_PREFIX}{field_name}:{n}"


def _refs(arr_obj, exc) -> list[generic.Reference]:
    arr_obj = arr_obj.get_object()
    if not isinstance(arr_obj, generic.ArrayObject):
        raise exc("Not an array object")
    out = []
    for item in arr_obj:
        if not isinstance(item, generic.IndirectObject):
            raise exc("Array contains direct objects")
        out.append(item.reference)
    return out


def _annots(page, exc) -> tuple[set[generic.Reference], generic.Reference | None]:
    if not isinstance(page, generic.DictionaryObject):
        raise exc("Page objects should be dictionaries")
    raw = page.raw_get("/Annots")  # KeyError when absent
    ref = raw.reference if isinstance(raw, generic.IndirectObject) else None
    return set(_refs(raw, SuspiciousModification)), ref


class SealAnnotationRule(FieldMDPRule):
    """Approves the widgets of new signature fields and the seal stamps that belong to them.

    Replaces the widget-binding step of pyHanko's ``SigFieldCreationRule`` (use that rule with
    ``approve_widget_bindings=False`` next to this one).
    """

    def apply(
        self, context: FieldComparisonContext
    ) -> Iterable[tuple[ModificationLevel, FormUpdate]]:
        old, new = context.old, context.new
        new_fields: dict[str, generic.Reference] = {
            fq: spec.new_field_ref
            for fq, spec in context.field_specs.items()
            if spec.field_type == "/Sig" and spec.old_field_ref is None and spec.new_field_ref
        }
        if not new_fields:
            return
        owner: dict[generic.Reference, str] = {}
        for fq, ref in new_fields.items():
            fld = ref.get_object()
            if not isinstance(fld, generic.DictionaryObject):
                raise SuspiciousModification(f"Signature field {fq} is not a dictionary.")
            if "/Kids" in fld:
                for kid in _refs(fld.raw_get("/Kids"), SuspiciousModification):
                    kid_obj = kid.get_object()
                    if isinstance(kid_obj, generic.DictionaryObject) and "/T" not in kid_obj:
                        owner[kid] = fq
            else:
                owner[ref] = fq
        yield from self._walk(
            old, new, old.root["/Pages"], new.root["/Pages"], owner, new_fields, set()
        )

    def _stamp_owner(
        self,
        ref: generic.Reference,
        old: HistoricalResolver,
        new_fields: dict[str, generic.Reference],
    ) -> str:
        """The field a new seal stamp belongs to, or raise ``SuspiciousModification``."""
        if not old.is_ref_unassignable(ref):
            raise SuspiciousModification(f"Annotation {ref} reuses an existing object.")
        annot = ref.get_object()
        if not isinstance(annot, generic.DictionaryObject):
            raise SuspiciousModification(f"Annotation {ref} is not a dictionary.")
        if annot.get("/Subtype") != "/Stamp":
            raise SuspiciousModification(
                f"The newly added annotation {ref} ({annot.get('/Subtype')}) is not a seal."
            )
        extra = set(annot.keys()) - _STAMP_KEYS
        if extra:
            raise SuspiciousModification(f"Seal annotation {ref} has unexpected keys {extra}.")
        flags = int(annot.get("/F", 0))
        if flags & LOCKED == 0 or flags & LOCKED_CONTENTS == 0:
            raise SuspiciousModification(f"Seal annotation {ref} is not locked.")
        name = str(annot.get("/NM", ""))
        if not name.startswith(SEAL_NAME_PREFIX):
            raise SuspiciousModification(f"Annotation {ref} is not a Chop seal.")
        field_name = name[len(SEAL_NAME_PREFIX) :].rsplit(":", 1)[0]
        field = new_fields[field_name].get_object() if field_name in new_fields else None
        if not isinstance(field, generic.DictionaryObject) or "/V" not in field:
            raise SuspiciousModification(
                f"Seal annotation {ref} claims field {field_name!r}, which was not signed "
                "in this revision."
            )
        ap = annot.get("/AP")
        if not isinstance(ap, generic.DictionaryObject) or set(ap.keys()) != {"/N"}:
            raise SuspiciousModification(f"Seal annotation {ref} has an unexpected appearance.")
        return field_name

    def _walk(self, old, new, old_node, new_node, owner, new_fields, seen):
        try:
            old_kids = _refs(old_node["/Kids"], misc.PdfReadError)
            new_kids = _refs(new_node["/Kids"], SuspiciousModification)
        except KeyError as exc:
            raise SuspiciousModification("No /Kids in /Pages entry") from exc
        if old_kids != new_kids:
            raise SuspiciousModification("Unexpected change to page tree structure.")
        for kid_ref in new_kids:
            if kid_ref in seen:
                raise misc.PdfReadError("Circular reference in page tree")
            new_kid = kid_ref.get_object()
            old_kid = old(kid_ref)
            node_type = old_kid.get("/Type")
            if node_type == "/Pages":
                yield from self._walk(
                    old, new, old_kid, new_kid, owner, new_fields, seen | {kid_ref}
                )
                continue
            try:
                new_annots, new_annots_ref = _annots(new_kid, SuspiciousModification)
            except KeyError:
                continue
            try:
                old_annots, old_annots_ref = _annots(old_kid, misc.PdfReadError)
            except KeyError:
                old_annots, old_annots_ref = set(), None
            if old_annots == new_annots:
                continue
            deleted = old_annots - new_annots
            if deleted:
                raise SuspiciousModification(f"Annotations {deleted} were deleted.")
            for ref in new_annots - old_annots:
                if ref in owner:
                    continue  # widget of a new signature field: SigFieldCreationRule vets it
                fq = self._stamp_owner(ref, old, new_fields)
                yield (
                    ModificationLevel.FORM_FILLING,
                    FormUpdate(updated_ref=ref, field_name=fq, valid_when_locked=True),
                )
                annot = cast(generic.DictionaryObject, ref.get_object())  # _stamp_owner checked
                deps = new.collect_dependencies(
                    annot.raw_get("/AP"), since_revision=old.revision + 1
                )
                for dep in deps:
                    yield (
                        ModificationLevel.FORM_FILLING,
                        FormUpdate(updated_ref=dep, field_name=fq, valid_when_locked=True),
                    )
            compare_dicts(old_kid, new_kid, frozenset(["/Annots"]))
            yield (
                ModificationLevel.LTA_UPDATES,
                FormUpdate(updated_ref=kid_ref, valid_when_locked=True, context_checked=None),
            )
            if new_annots_ref and (
                old_annots_ref == new_annots_ref or old.is_ref_unassignable(new_annots_ref)
            ):
                yield (
                    ModificationLevel.LTA_UPDATES,
                    FormUpdate(
                        updated_ref=new_annots_ref,
                        valid_when_locked=True,
                        context_checked=RelativeContext(kid_ref, RawPdfPath("/Annots")),
                    ),
                )


CHOP_DIFF_POLICY = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(),
        DocInfoRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
        MetadataUpdateRule().as_qualified(ModificationLevel.LTA_UPDATES),
    ],
    form_rule=FormUpdatingRule(
        field_rules=[
            SigFieldCreationRule(approve_widget_bindings=False),
            SigFieldModificationRule(),
            SealAnnotationRule(),
        ],
    ),
)
"""Use as ``diff_policy=`` in pyHanko's validators to judge Chop documents."""
