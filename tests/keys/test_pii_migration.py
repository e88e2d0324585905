"""A database seeded before db32dc4 (personal data in the "v1:" format) opens after ``migrate``.

The old scheme is re-implemented here from ``git show db32dc4`` independently of the migration,
the database is migrated back to verification 0001, rows are written as the old code wrote them,
and migrating forward must leave every value readable (and its look-up hash still matching).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from chop.verification import pii

KEK = "old-format-test-kek-Zq8"
PERSON_ID = "11010519491231002X"
REP_ID = "440301199001011234"
ACCOUNT = "6222020200112233445"


def _old_key(label: bytes) -> bytes:
    """pii._key() before db32dc4."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"chop-pii/" + label).derive(
        KEK.encode()
    )


def old_seal(value: str) -> str:
    """pii.seal() before db32dc4."""
    nonce = os.urandom(12)
    ct = AESGCM(_old_key(b"enc")).encrypt(nonce, value.encode(), b"chop-pii-v1")
    return "v1:" + base64.b64encode(nonce + ct).decode()


def old_match_hash(value: str) -> str:
    return hmac.new(_old_key(b"match"), value.strip().upper().encode(), hashlib.sha256).hexdigest()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def old_kek(settings):
    settings.CHOP_KEK = KEK
    pii.clear_caches()
    yield
    pii.clear_caches()


@pytest.mark.django_db(transaction=True)
def test_rows_sealed_in_the_old_format_open_after_migrate(old_kek):
    from chop.identity import MicroDeposit

    old_apps = _migrate([("verification", "0001_initial")])
    try:
        User = old_apps.get_model("accounts", "User")
        Company = old_apps.get_model("orgs", "Company")
        Person = old_apps.get_model("verification", "PersonVerification")
        CompanyCase = old_apps.get_model("verification", "CompanyVerification")
        user = User.objects.create(login="13900000077", phone="13900000077", password="!")
        company = Company.objects.create(name="旧格式有限公司", created_by=user)
        deposit = MicroDeposit.issue()
        person = Person.objects.create(
            applicant=user,
            state="approved",
            name="张三",
            id_number_sealed=old_seal(PERSON_ID),
            id_number_hash=old_match_hash(PERSON_ID),
            id_number_masked="1101**********002X",
            phone="13900000077",
        )
        case = CompanyCase.objects.create(
            applicant=user,
            state="deposit_sent",
            company=company,
            company_name="旧格式有限公司",
            uscc="9144030071526726XG",
            legal_rep_name="张三",
            legal_rep_id_sealed=old_seal(REP_ID),
            legal_rep_id_hash=old_match_hash(REP_ID),
            legal_rep_id_masked="4403**********1234",
            method="deposit",
            bank_account_sealed=old_seal(ACCOUNT),
            bank_account_masked="6222 **** 3445",
            deposit_sealed=old_seal(json.dumps(deposit.to_dict())),
            deposit_expires_at=timezone.now() + timedelta(days=1),
        )
        empty = CompanyCase.objects.create(
            applicant=user,
            state="submitted",
            company=company,
            company_name="旧格式有限公司",
            uscc="9144030071526726XG",
            legal_rep_name="李四",
            legal_rep_id_sealed=old_seal(REP_ID),
            legal_rep_id_hash=old_match_hash(REP_ID),
            legal_rep_id_masked="4403**********1234",
            method="legal_rep",
        )
    finally:
        _migrate(_leaves())

    from chop.verification.models import CompanyVerification, PersonVerification

    p = PersonVerification.objects.get(pk=person.pk)
    c = CompanyVerification.objects.get(pk=case.pk)
    e = CompanyVerification.objects.get(pk=empty.pk)
    assert p.id_number_encrypted.startswith("{")  # now the custody envelope
    assert p.id_number == PERSON_ID
    assert c.legal_rep_id == REP_ID
    assert pii.decrypt(c.bank_account_encrypted) == ACCOUNT
    assert c.load_deposit().amount_fen == deposit.amount_fen
    assert e.legal_rep_id == REP_ID and e.bank_account_encrypted == "" and e.deposit_encrypted == ""
    # The look-up hashes made by the old code still match what the new code computes.
    assert pii.match_hash(PERSON_ID) == p.id_number_hash == old_match_hash(PERSON_ID)
    assert PersonVerification.objects.filter(id_number_hash=pii.match_hash(PERSON_ID)).count() == 1
    assert CompanyVerification.objects.filter(legal_rep_id_hash=pii.match_hash(REP_ID)).count() == 2

    # Idempotent: running the conversion again (down to 0002 and up) changes nothing.
    before = (
        p.id_number_encrypted,
        c.legal_rep_id_encrypted,
        c.bank_account_encrypted,
        c.deposit_encrypted,
    )
    _migrate([("verification", "0002_sealed_envelopes")])
    _migrate(_leaves())
    p.refresh_from_db()
    c.refresh_from_db()
    assert (
        p.id_number_encrypted,
        c.legal_rep_id_encrypted,
        c.bank_account_encrypted,
        c.deposit_encrypted,
    ) == (before)


@pytest.mark.django_db(transaction=True)
def test_the_conversion_refuses_a_wrong_kek_and_changes_nothing(old_kek, settings):
    old_apps = _migrate([("verification", "0001_initial")])
    try:
        User = old_apps.get_model("accounts", "User")
        Person = old_apps.get_model("verification", "PersonVerification")
        user = User.objects.create(login="13900000078", phone="13900000078", password="!")
        sealed = old_seal(PERSON_ID)
        person = Person.objects.create(
            applicant=user,
            state="approved",
            name="张三",
            id_number_sealed=sealed,
            id_number_hash=old_match_hash(PERSON_ID),
            id_number_masked="1101**********002X",
            phone="13900000078",
        )
        settings.CHOP_KEK = "not-the-key-it-was-sealed-with"
        with pytest.raises(RuntimeError, match=f"PersonVerification {person.pk}"):
            _migrate([("verification", "0003_upgrade_v1_pii")])
        assert Person.objects.get(pk=person.pk).id_number_sealed == sealed  # historical model
    finally:
        settings.CHOP_KEK = KEK
        _migrate(_leaves())
    from chop.verification.models import PersonVerification

    assert PersonVerification.objects.get(pk=person.pk).id_number == PERSON_ID
