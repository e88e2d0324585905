"""``chop rotate_kek`` moves personal data and the CA to a new KEK; look-ups keep matching."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from chop.accounts.models import User
from chop.identity import MicroDeposit
from chop.orgs.models import Company
from chop.pki import PlatformCA, WrongKEKError
from chop.pki.envelope import derive_kek, kek_check_value
from chop.pkistate import store as pkistate_store
from chop.pkistate.models import CAConfig, IssuedCertificate, KeyBlob
from chop.pkistate.store import DatabaseCAStore
from chop.verification import pii
from chop.verification.models import CompanyVerification, Evidence, PersonVerification

OLD = "old-kek-for-rotation-1"
NEW = "new-kek-for-rotation-2"
PEOPLE = ["11010519491231002X", "440301199001011234", "310101198001011111"]
REP_ID = PEOPLE[0]
ACCOUNT = "6222020200112233445"


@pytest.fixture
def platform(settings, tmp_path, monkeypatch, db):
    """A CA and verification cases, all encrypted under OLD; CHOP_NEW_KEK holds NEW.

    The session's CA is set aside for this test (its rows come back when the test's transaction
    rolls back) and a CA under OLD takes its place in the database."""
    settings.CHOP_KEK = OLD
    settings.CHOP_PKI_DIR = tmp_path / "pki"
    pii.clear_caches()
    _empty_ca_tables()
    ca = PlatformCA.init(DatabaseCAStore(), OLD, key_type="p256")
    user = User.objects.create_user("13900000091", "s3cret-pass-1")
    company = Company.objects.create(name="轮换测试有限公司", created_by=user)
    people = []
    for i, number in enumerate(PEOPLE):
        # one verified identity per account: each person is their own applicant
        person = User.objects.create_user(f"1390000010{i}", "s3cret-pass-1")
        p = PersonVerification(applicant=person, state="approved", name=f"人{i}", phone="139")
        p.set_id_number(number, "masked")
        p.save()
        people.append(p)
    case = CompanyVerification(
        applicant=user,
        state="deposit_sent",
        company=company,
        company_name=company.name,
        uscc="9144030071526726XG",
        legal_rep_name="人0",
        method="deposit",
        bank_account_encrypted=pii.encrypt(ACCOUNT),
    )
    case.set_legal_rep_id(REP_ID, "masked")
    deposit = MicroDeposit.issue()
    case.store_deposit(deposit)
    case.save()
    evidence = Evidence.objects.create(
        case_type="company",
        case_id=case.pk,
        step="deposit_sent",
        method="deposit",
        provider="console",
        result="sent",
        inputs={"account": pii.match_hash(ACCOUNT), "id_number": people[0].id_number_hash},
    )
    monkeypatch.setenv("CHOP_NEW_KEK", NEW)
    yield {"ca": ca, "people": people, "case": case, "deposit": deposit, "evidence": evidence}
    pii.clear_caches()


def _empty_ca_tables() -> None:
    for model in (CAConfig, IssuedCertificate, KeyBlob):
        model.objects.all().delete()


def _use_kek(settings, kek: str) -> None:
    settings.CHOP_KEK = kek
    pii.clear_caches()


def _assert_all_open_under(settings, platform, kek: str) -> None:
    _use_kek(settings, kek)
    for p, number in zip(platform["people"], PEOPLE, strict=True):
        p.refresh_from_db()
        assert p.id_number == number
        # a look-up by hash (as services do) finds the person
        assert PersonVerification.objects.get(id_number_hash=pii.match_hash(number)).pk == p.pk
    case = CompanyVerification.objects.get(pk=platform["case"].pk)
    assert case.legal_rep_id == REP_ID
    assert pii.decrypt(case.bank_account_encrypted) == ACCOUNT
    assert case.load_deposit().amount_fen == platform["deposit"].amount_fen
    # the person matched as legal representative, and the append-only evidence still matches
    assert case.legal_rep_id_hash == platform["people"][0].id_number_hash
    assert platform["evidence"].inputs == {
        "account": pii.match_hash(ACCOUNT),
        "id_number": pii.match_hash(REP_ID),
    }
    ca = PlatformCA.load(DatabaseCAStore(), kek)
    ca.file_custody.private_key(ca.config["issuing_key_ref"])  # the CA key unwraps


def _assert_old_kek_fails(settings):
    _use_kek(settings, OLD)
    with pytest.raises(WrongKEKError):
        PersonVerification.objects.first().id_number  # noqa: B018
    with pytest.raises(WrongKEKError):
        PlatformCA.load(DatabaseCAStore(), OLD)


def test_rotation_reencrypts_personal_data_and_the_ca(platform, settings):
    hashes_before = sorted(PersonVerification.objects.values_list("id_number_hash", flat=True))
    call_command("rotate_kek")
    _assert_all_open_under(settings, platform, NEW)
    assert sorted(PersonVerification.objects.values_list("id_number_hash", flat=True)) == (
        hashes_before
    )
    for p in PersonVerification.objects.all():
        assert pii.encrypted_under(p.id_number_encrypted, pii.derived_kek(NEW))
    _assert_old_kek_fails(settings)


def test_crash_while_reencrypting_the_database_changes_nothing_and_a_rerun_finishes(
    platform, settings, monkeypatch
):
    real = pii.encrypt_with
    calls = {"n": 0}

    def crash_on_third(kek, value):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real(kek, value)

    monkeypatch.setattr(pii, "encrypt_with", crash_on_third)
    with pytest.raises(RuntimeError, match="power cut"):
        call_command("rotate_kek")
    monkeypatch.setattr(pii, "encrypt_with", real)
    # rolled back: everything, CA included, is still under the old KEK
    _assert_all_open_under(settings, platform, OLD)
    _use_kek(settings, OLD)
    call_command("rotate_kek")
    _assert_all_open_under(settings, platform, NEW)
    _assert_old_kek_fails(settings)


def test_crash_while_rewrapping_the_ca_leaves_it_whole_and_a_rerun_finishes(
    platform, settings, monkeypatch
):
    real_put = pkistate_store.DatabaseBlobStore.put
    calls = {"n": 0}

    def crash_on_second(self, name, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_put(self, name, data)

    monkeypatch.setattr(pkistate_store.DatabaseBlobStore, "put", crash_on_second)
    with pytest.raises(OSError, match="disk full"):
        call_command("rotate_kek")
    monkeypatch.setattr(pkistate_store.DatabaseBlobStore, "put", real_put)
    # the CA's envelopes are re-wrapped in one transaction: the crash rolled them all back, so
    # every envelope and the configuration still name the old KEK
    old_check = kek_check_value(derive_kek(OLD))
    checks = {
        json.loads(bytes(b))["kek_check"] for b in KeyBlob.objects.values_list("data", flat=True)
    }
    assert calls["n"] == 2 and checks == {old_check}
    assert DatabaseCAStore().read_config()["kek_check"] == old_check
    _use_kek(settings, OLD)
    call_command("rotate_kek")  # the same command again finishes
    _assert_all_open_under(settings, platform, NEW)
    _assert_old_kek_fails(settings)


def test_a_ca_directory_not_yet_in_the_database_is_moved_there_and_rotated(platform, settings):
    """An installation from before the database held the CA: the command moves it first."""
    _empty_ca_tables()
    files = PlatformCA.init(settings.CHOP_PKI_DIR, OLD, key_type="p256")
    call_command("rotate_kek")
    ca = PlatformCA.load(DatabaseCAStore(), NEW)
    assert ca.root_certificate == files.root_certificate
    ca.file_custody.private_key(ca.config["issuing_key_ref"])
    with pytest.raises(WrongKEKError):
        PlatformCA.load(DatabaseCAStore(), OLD)


def test_a_database_left_behind_by_the_pki_cli_rotation_is_recovered(platform, settings):
    """The reported bug: `python -m chop.pki rotate-kek` moved the CA alone."""
    platform["ca"].rotate_kek(NEW)
    _use_kek(settings, NEW)
    with pytest.raises(WrongKEKError):
        PersonVerification.objects.first().id_number  # noqa: B018
    _use_kek(settings, OLD)
    call_command("rotate_kek")
    _assert_all_open_under(settings, platform, NEW)


def test_the_new_kek_never_comes_from_the_command_line(platform, settings, monkeypatch, tmp_path):
    monkeypatch.delenv("CHOP_NEW_KEK")
    with pytest.raises(CommandError, match="CHOP_NEW_KEK"):
        call_command("rotate_kek")
    with pytest.raises(CommandError, match="current CHOP_KEK"):
        monkeypatch.setenv("ROTATE_TO", OLD)
        call_command("rotate_kek", new_kek_env="ROTATE_TO")
    key_file = tmp_path / "new.kek"
    key_file.write_text(NEW + "\n")
    call_command("rotate_kek", new_kek_file=str(key_file))
    _assert_all_open_under(settings, platform, NEW)
