"""A completed contract for the evidence-report tests: two company parties, each signed through
``contracts.signing``, with one party's signer really verified (a masked ID on file)."""

from __future__ import annotations

import pytest

from tests.contracts.signing_support import PERSON_ID, official_seal, sign_as
from tests.contracts.test_signing_act import two_party_contract

FULL_PHONE = "13912345678"


def verify_person(user, name: str):
    """An approved real-name case for ``user`` (what the verification app leaves)."""
    from django.utils import timezone

    from chop.identity.resident_id import mask_id_number
    from chop.verification.models import PersonVerification

    case = PersonVerification(
        applicant=user, state="approved", name=name, phone=FULL_PHONE, provider="mock"
    )
    case.set_id_number(PERSON_ID, mask_id_number(PERSON_ID))
    case.decided_at = timezone.now()
    case.save()
    return case


@pytest.fixture
def completed(signing_world):
    """``(world, contract)``: both parties signed, the contract completed."""
    w = signing_world
    contract, pa, pb = two_party_contract(w)
    verify_person(w["a_keeper"], "甲方印章管理员")
    sign_as(pa, w["a_keeper"], seal=official_seal(w["a"]))
    pb.refresh_from_db()
    sign_as(pb, w["b_owner"], seal=official_seal(w["b"]))
    contract.refresh_from_db()
    assert contract.state == "completed"
    return w, contract
