"""``{% contract_signatures %}``: the signatures panel of the contract page, for the version whose
pages the viewer reads (``current`` in the page's context: the newest version for the initiator;
for a party version 1, or the final one after completion), so a party never learns from this
panel who signed a half-signed version it may not see.

Each signature's provenance (what the signer signed in about the stamp) is labelled here, at
render time, because the rows are cached for every language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from .. import signatures
from ..models import AuthorisationKind, IntentMethod

register = template.Library()


@register.inclusion_tag("contracts/_signatures_list.html", takes_context=True)
def contract_signatures(context):
    version = context.get("current")
    rows = signatures.report(version) if version is not None and version.number > 1 else []
    rows = [_labelled(r) for r in rows]
    return {"contract": context.get("contract"), "version": version, "rows": rows}


def _labelled(row: dict) -> dict:
    prov = row.get("provenance")
    if not prov:
        return row
    return {**row, "provenance": label_provenance(prov)}


def label_provenance(prov: dict) -> dict:
    """A signature's provenance (``signatures.signed_provenance``) with its labels in the active
    language; the public verification page shows it the same way."""
    return {
        **prov,
        "kind_label": _authorisation_label(prov["kind"]),
        "seal_kind_label": _seal_kind_label(prov["seal_kind"]),
        "intent_label": _intent_label(prov["intent_method"]),
    }


def _authorisation_label(kind: str) -> str:
    try:
        return str(AuthorisationKind(kind).label)
    except ValueError:
        return kind or _("not stated")


def _seal_kind_label(kind: str) -> str:
    from chop.seals.models import Seal

    try:
        return str(Seal.Kind(kind).label)
    except ValueError:
        return kind


def _intent_label(method: str) -> str:
    try:
        return str(IntentMethod(method).label)
    except ValueError:
        return method or _("not stated")
