"""``{% contract_signatures %}``: the signatures panel of the contract page, for the version whose
pages the viewer reads (``current`` in the page's context: the newest version for the initiator;
for a party version 1, or the final one after completion), so a party never learns from this
panel who signed a half-signed version it may not see."""

from __future__ import annotations

from django import template

from .. import signatures

register = template.Library()


@register.inclusion_tag("contracts/_signatures_list.html", takes_context=True)
def contract_signatures(context):
    version = context.get("current")
    rows = signatures.report(version) if version is not None and version.number > 1 else []
    return {"contract": context.get("contract"), "version": version, "rows": rows}
