"""Set-up for the authorisation tests: a contract of company A being signed, with A's party to
stamp (optionally by a named member), and grants, approvals and auto-sign rows made directly."""

from __future__ import annotations

import datetime

from django.utils import timezone

from chop.contracts.models import Position
from tests.contracts.signing_support import add_party, official_seal, send, upload


def a_contract(w, *, stamper=None, positions=True, contract_type="", title="采购合同"):
    """A contract of company A sent to A (stamped by ``stamper`` when named) and then B."""
    contract = upload(w["a"], w["a_owner"], title=title)
    contract.contract_type = contract_type
    contract.save()
    pa = add_party(contract, company=w["a"], user=stamper)
    pb = add_party(contract, company=w["b"])
    if positions:
        Position.objects.create(participant=pa, form="single", page=2, x_mm=30, y_mm=200)
        Position.objects.create(participant=pb, form="single", page=2, x_mm=120, y_mm=200)
    send(contract, w["a_owner"])
    pa.refresh_from_db()
    return contract, pa


def grant(seal, *users, roles=(), max_uses=None, ends_in_days=None, types=(), by=None):
    from chop.grants.models import Grant

    now = timezone.now()
    g = Grant.objects.create(
        company_id=seal.company_id,
        seal=seal,
        roles=list(roles),
        contract_types=list(types),
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=None if ends_in_days is None else now + datetime.timedelta(days=ends_in_days),
        max_uses=max_uses,
        granted_by=by,
    )
    g.members.set(users)
    return g


def approved_request(seal, contract, requester, approver):
    from chop.grants.models import UseDecision, UseRequest

    r = UseRequest.objects.create(
        company_id=seal.company_id,
        seal=seal,
        contract=contract,
        requester=requester,
        reason="盖章用于采购",
        state="approved",
        decided_at=timezone.now(),
    )
    r.approvers.set([approver])
    UseDecision.objects.create(request=r, approver=approver, verdict="approve")
    return r


def autosign(seal, owner, *, daily_cap=5, types=()):
    from chop.grants.models import AutoSignAuthorisation

    now = timezone.now()
    return AutoSignAuthorisation.objects.create(
        company_id=seal.company_id,
        seal=seal,
        contract_types=list(types),
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(days=30),
        daily_cap=daily_cap,
        confirmed_by=owner,
        confirmed_at=now - datetime.timedelta(minutes=2),
        confirm_method="sms",
        letter_sha256="0" * 64,
        letter_signed_at=now - datetime.timedelta(minutes=1),
    )


__all__ = ["a_contract", "approved_request", "autosign", "grant", "official_seal"]
