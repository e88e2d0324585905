"""Auto-sign over the API (静默签): the platform stamps for the key's company party with one of
the company's seals, under the seal's active auto-sign authorisation.

``contracts.signing.sign_auto`` decides and does everything in the contract's locked transaction
(``may_stamp`` for the platform, the authorisation's daily cap, one act per party enforced by the
database), and records the stamp like any other, with the client's address and the key as the
device. This module only finds the party and the seal as the key's company sees them and turns
a refusal into a problem: 403 when the stamp is not authorised, 409 when the contract or the
party is not in a state to sign, 422 when the contract cannot be auto-signed as it stands.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from chop.audit.events import client_ip
from chop.contracts import signing
from chop.contracts.models import Participant, ParticipantKind, ParticipantState
from chop.seals.models import Seal

from .auth import need
from .contracts_api import MAX_ID, contract_out, lock_open_contract, with_versions
from .problems import ApiProblem, not_found
from .schemas import ContractOut, problems

router = Router()

# SigningError codes that say "not now": the contract or the party is not in a state to sign.
STATE_CODES = {"contract_not_signing", "not_your_turn", "contract_closed"}
# ... and those that say the contract as it stands cannot be auto-signed.
SETUP_CODES = {"autosign_positions", "no_document"}


class AutoSignIn(Schema):
    seal_id: int
    participant_id: int | None = None


class ActOut(Schema):
    id: int
    participant_id: int
    seal_id: int
    signed_at: dt.datetime
    level: str
    pages: list[int]
    authorisation_kind: str


class AutoSignOut(Schema):
    act: ActOut
    contract: ContractOut


def _party(request, contract, participant_id: int | None) -> Participant:
    """The key's company's party that signs now: the one named, or the only one whose turn it
    is (409 when none is, 422 when several are and none was named)."""
    ours = [
        p
        for p in contract.participants.all()
        if p.kind == ParticipantKind.COMPANY and p.company_id == request.company.pk
    ]
    if participant_id is not None:
        party = next((p for p in ours if p.pk == participant_id), None)
        if party is None:
            raise not_found()
        return party
    due = [p for p in ours if p.state == ParticipantState.TO_SIGN]
    if len(due) > 1:
        raise ApiProblem(
            422,
            "participant_ambiguous",
            _("Your company is several parties whose turn it is: name one in participant_id."),
        )
    if not due:
        raise ApiProblem(
            409,
            "not_your_turn",
            _("It is not your company's turn to sign this contract."),
        )
    return due[0]


@router.post(
    "/{contract_id}/auto-sign",
    response={201: AutoSignOut, **problems(403, 404, 409, 422)},
    summary="Auto-sign for your company's party",
    description=(
        "Stamps the contract for your company's party whose turn it is (or the party named by "
        "`participant_id`) with `seal_id`, one of your company's seals, under the seal's "
        "active auto-sign authorisation, at the party's designated positions. Recorded like "
        "any stamp. Refusals: 403 when the stamp is not authorised (no active authorisation, "
        "its daily cap reached, a contract type it does not cover, a seal that cannot stamp), "
        "409 when the contract is not being signed or it is not this party's turn (it may "
        "already have signed), 422 when the party has no designated positions. Scope "
        "`stamping`. Send an `Idempotency-Key` so a retry never signs twice."
    ),
)
def auto_sign(request, contract_id: int, body: AutoSignIn):
    need(request, "stamping")
    if not 0 < body.seal_id <= MAX_ID:
        raise not_found()
    seal = Seal.objects.filter(pk=body.seal_id, company=request.company).first()
    if seal is None:
        raise not_found(_("Your company has no such seal."))
    # One transaction, the contract locked first: what is decided, stamped and answered is
    # read once, under the lock, and moved in place by the act (no second read to answer).
    with transaction.atomic():
        contract = lock_open_contract(request, contract_id, "stamping")
        party = _party(request, contract, body.participant_id)
        try:
            act = signing.sign_auto(
                party,
                seal=seal,
                ip=client_ip(request),
                device=f"API key {request.api.key.prefix}",
                locked=contract,
            )
        except signing.SigningError as exc:
            status = 409 if exc.code in STATE_CODES else 422 if exc.code in SETUP_CODES else 403
            raise ApiProblem(status, exc.code, exc.message) from None
        out = {
            "act": {
                "id": act.pk,
                "participant_id": act.participant_id,
                "seal_id": act.seal_id,
                "signed_at": act.signed_at,
                "level": act.level,
                "pages": list(act.pages),
                "authorisation_kind": act.authorisation_kind,
            },
            "contract": contract_out(with_versions(contract)),
        }
    return Status(201, out)
