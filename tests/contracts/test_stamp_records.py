"""The stamping record (用印记录): every act writes one, with the facts as they were, and the
database itself refuses to change or remove it (triggers on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from chop.contracts import signing
from chop.contracts.models import StampRecord

from .signing_support import confirmed, latest_file, official_seal
from .test_signing_act import two_party_contract

pytestmark = pytest.mark.django_db


def _signed(w):
    contract, pa, pb = two_party_contract(w)
    seal = official_seal(w["a"])
    act = signing.sign(
        pa,
        by=w["a_keeper"],
        seal=seal,
        intent=confirmed(pa, w["a_keeper"]),
        ip="10.0.0.7",
        device="Mozilla/5.0 (iPhone) Test",
    )
    return contract, pa, seal, act


def test_an_act_writes_its_record_with_the_facts_as_they_were(signing_world, tmp_path):
    w = signing_world
    contract, pa, seal, act = _signed(w)
    rec = StampRecord.objects.get(act=act)
    assert rec.company == w["a"] and rec.contract == contract and rec.signer == w["a_keeper"]
    assert rec.signer_name == w["a_keeper"].display_name and rec.party_name == pa.name
    assert (rec.seal_code, rec.seal_kind, rec.seal_name) == (seal.code, seal.kind, seal.name)
    assert rec.forms == ["single"] and rec.pages == [2]
    assert rec.contract_title == contract.title and rec.contract_number == "HT-2026-001"
    assert rec.base_sha256 == contract.versions.get(number=1).sha256
    assert rec.signed_sha256 == act.version.sha256
    import hashlib

    assert hashlib.sha256(latest_file(contract, tmp_path).read_bytes()).hexdigest() == (
        rec.signed_sha256
    )
    assert rec.authorisation_kind == "grant" and rec.authorisation_id == act.grant_id
    assert rec.intent_method == "password" and rec.intent_at == act.intent_at
    assert rec.certificate_serial == seal.certificate.serial
    assert rec.ip == "10.0.0.7" and rec.device == "Mozilla/5.0 (iPhone) Test"
    assert rec.stamped_at == act.signed_at
    leaf = rec.leaf()
    assert leaf["seal"]["code"] == seal.code and leaf["authorisation"]["kind"] == "grant"
    assert leaf["stamped_at"].endswith("Z")


def test_the_database_refuses_to_change_or_delete_a_record(signing_world):
    rec = StampRecord.objects.get(act=_signed(signing_world)[3])
    with pytest.raises(DatabaseError), transaction.atomic():
        StampRecord.objects.filter(pk=rec.pk).update(signer_name="someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        StampRecord.objects.filter(pk=rec.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE contracts_stamprecord SET seal_code = %s WHERE id = %s", ["0000", rec.pk]
        )
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE contracts_stamprecord CASCADE")
    rec.refresh_from_db()
    assert rec.signer_name == signing_world["a_keeper"].display_name
    assert StampRecord.objects.filter(pk=rec.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_records_survive_until_the_test_flush_lifts_the_triggers(signing_world):
    """A transactional test ends with Django's flush; the triggers must not break it (the
    tests' flush lifts them for its own statements only)."""
    _signed(signing_world)
    assert StampRecord.objects.count() == 1
