"""``{% contract_signatures %}``: the signatures panel of the contract page, and the way to the
signing page for a user whose turn it is (the page's view need not know about either)."""

from __future__ import annotations

from django import template

from .. import signatures
from ..access import parties_for

register = template.Library()


@register.inclusion_tag("contracts/_signatures_list.html", takes_context=True)
def contract_signatures(context):
    contract = context.get("contract")
    request = context.get("request")
    version = contract.current_version() if contract is not None else None
    rows = signatures.report(version) if version is not None and version.number > 1 else []
    to_sign = (
        parties_for(request.user, contract, state="to_sign")
        if request is not None and contract is not None and contract.state == "signing"
        else []
    )
    return {"contract": contract, "version": version, "rows": rows, "to_sign": to_sign}
