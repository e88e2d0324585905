"""The page an invitation link opens (``/contracts/invite/<token>/``).

The token is signed (``notify.invite_token``), so it cannot be guessed or edited; it names the
party it was sent to. The page says only who asks whom to sign what, and that the recipient must
register and verify their real name first; the document itself is never shown here.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Participant
from .notify import read_invite_token


def contract_invite(request: HttpRequest, token: str) -> HttpResponse:
    data = read_invite_token(token)
    party = None
    if data:
        party = (
            Participant.objects.select_related("contract", "contract__company")
            .filter(pk=data.get("p"), contract_id=data.get("c"))
            .first()
        )
    if party is None:
        return render(request, "contracts/invite.html", {"party": None}, status=404)
    contract = party.contract
    return render(
        request,
        "contracts/invite.html",
        {
            "party": party,
            "contract": contract,
            "initiator": contract.company.name if contract.company else "",
        },
    )
