"""Helpers of the stamping-log tests: contracts signed for real (one stamping record each)."""

from __future__ import annotations

from chop.contracts import signing
from tests.contracts.signing_support import confirmed, official_seal
from tests.contracts.test_signing_act import two_party_contract


def stamp(w, *, ip: str = "10.0.0.7"):
    """Sign a new two-party contract as company A's keeper; returns (contract, act)."""
    contract, pa, _pb = two_party_contract(w)
    act = signing.sign(
        pa,
        by=w["a_keeper"],
        seal=official_seal(w["a"]),
        intent=confirmed(pa, w["a_keeper"]),
        ip=ip,
        device="Mozilla/5.0 (Test)",
    )
    return contract, act
