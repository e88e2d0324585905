"""``{% contract_evidence %}``: the evidence block of the contract page — the contract's
verification code, the latest evidence report and the way to ask for one — for whoever may
request evidence (``permissions.can_request_evidence``); nothing for anyone else or a draft."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("evidence/_contract_block.html", takes_context=True)
def contract_evidence(context):
    from ..models import VerificationCode
    from ..report_views import BADGES, may_request

    contract = context.get("contract")
    request = context.get("request")
    user = getattr(request, "user", None)
    if contract is None or user is None or not user.is_authenticated:
        return {"show": False}
    if not may_request(user, contract):
        return {"show": False}
    latest = contract.evidence_reports.first()
    return {
        "show": True,
        "contract": contract,
        "code": VerificationCode.for_contract(contract).code,
        "latest": latest,
        "badge": BADGES.get(latest.state, "") if latest else "",
        "csrf_token": context.get("csrf_token"),
    }
