"""Fixtures for the stamping-records pages: a real signing act, and more records like it.

Records are append-only and written only by the act; tests that need many records at chosen
times (off hours, an auto-sign burst, many days) copy a real act's version, act and record with
the fields changed, as the act would have written them at that time.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.contracts.signing_support import signing_world  # noqa: F401  (fixture)
from tests.seals.conftest import verified_company  # noqa: F401  (fixture)

BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def stamped(signing_world):  # noqa: F811
    """Company A's keeper has stamped a two-party contract once: (world, record)."""
    from chop.contracts import signing
    from chop.contracts.models import StampRecord
    from tests.contracts.signing_support import confirmed, official_seal
    from tests.contracts.test_signing_act import two_party_contract

    w = signing_world
    contract, pa, _pb = two_party_contract(w)
    act = signing.sign(
        pa,
        by=w["a_keeper"],
        seal=official_seal(w["a"]),
        intent=confirmed(pa, w["a_keeper"]),
        ip="10.0.0.7",
        device="Mozilla/5.0 (iPhone) Test",
    )
    return w, StampRecord.objects.get(act=act)


def more_like(record, at: dt.datetime, **changes):
    """Another record like ``record`` (with its own party, version and act), stamped at ``at``."""
    from django.db.models import Max

    from chop.contracts.models import DocumentVersion, Participant, SigningAct, StampRecord

    act = SigningAct.objects.get(pk=record.act_id)
    party = Participant.objects.get(pk=act.participant_id)  # one act per party: a new party
    top = Participant.objects.filter(contract_id=party.contract_id).aggregate(m=Max("position"))
    party.pk = None
    party.position = top["m"] + 1
    party.save()
    version = DocumentVersion.objects.get(pk=act.version_id)
    last = DocumentVersion.objects.filter(contract_id=version.contract_id).order_by("-number")[0]
    version.pk = None
    version.number = last.number + 1
    version.save()
    act.pk = None
    act.participant = party
    act.version = version
    act.signed_at = at
    act.save()  # the act keeps the real one's facts; only the record differs
    clone = StampRecord.objects.get(pk=record.pk)
    clone.pk = None
    clone.act = act
    clone.stamped_at = at
    for key, value in changes.items():
        setattr(clone, key, value)
    clone.save(force_insert=True)
    return clone
