"""The signing act: who may sign with which seal, what the PDF then holds, and what a refusal or a
crash leaves behind (nothing)."""

from __future__ import annotations

import subprocess

import pytest

from chop.contracts import signing
from chop.contracts.models import DocumentVersion, Position, SigningAct, SigningIntent
from chop.contracts.signing import FreeMark, SigningError
from tests.support.storage import on_both_storages

from .signing_support import (
    add_party,
    confirmed,
    latest_file,
    official_seal,
    pdf_serials,
    pyhanko_report,
    send,
    upload,
)

pytestmark = pytest.mark.django_db


def two_party_contract(w, *, order="sequential", positions=True):
    contract = upload(w["a"], w["a_owner"])
    contract.order = order
    contract.number = "HT-2026-001"
    contract.save()
    pa = add_party(contract, company=w["a"], user=w["a_keeper"])
    pb = add_party(contract, company=w["b"])
    if positions:
        Position.objects.create(participant=pa, form="single", page=2, x_mm=30, y_mm=200)
        Position.objects.create(participant=pb, form="single", page=2, x_mm=120, y_mm=200)
    send(contract, w["a_owner"])
    pa.refresh_from_db()
    pb.refresh_from_db()
    return contract, pa, pb


def qpdf_ok(path):
    out = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No syntax or stream encoding errors found" in out.stdout


@on_both_storages
def test_company_seal_signs_with_the_company_certificate_and_the_next_party_gets_its_turn(
    signing_world, tmp_path
):
    w = signing_world
    contract, pa, pb = two_party_contract(w)
    seal = official_seal(w["a"])
    act = signing.sign(
        pa, by=w["a_keeper"], seal=seal, intent=confirmed(pa, w["a_keeper"]), ip="10.0.0.1"
    )
    assert act.version.number == 2 and act.version.reason == DocumentVersion.Reason.SIGNED
    assert act.base_sha256 == contract.versions.get(number=1).sha256
    assert act.certificate_serial == seal.certificate.serial
    assert act.level == "B-T" and act.pages == [2] and act.intent_method == "password"
    assert act.marks[0]["form"] == "single" and act.marks[0]["page"] == 2
    pa.refresh_from_db()
    pb.refresh_from_db()
    assert (pa.state, pb.state) == ("signed", "to_sign")
    seal.refresh_from_db()
    assert seal.use_count == 1
    assert SigningIntent.objects.get(participant=pa).used_at is not None
    path = latest_file(contract, tmp_path)
    assert pdf_serials(path) == [int(seal.certificate.serial)]
    report = pyhanko_report(path)
    assert report.verdict == "valid", report.to_dict()
    assert report.signatures[0].timestamp is not None
    qpdf_ok(path)


def test_two_parties_in_order_complete_the_contract_and_both_signatures_stay_valid(
    signing_world, tmp_path
):
    w = signing_world
    contract, pa, pb = two_party_contract(w)
    signing.sign(
        pa, by=w["a_keeper"], seal=official_seal(w["a"]), intent=confirmed(pa, w["a_keeper"])
    )
    signing.sign(
        pb, by=w["b_owner"], seal=official_seal(w["b"]), intent=confirmed(pb, w["b_owner"])
    )
    contract.refresh_from_db()
    assert contract.state == "completed"
    assert list(contract.versions.values_list("number", flat=True)) == [1, 2, 3]
    path = latest_file(contract, tmp_path)
    assert pdf_serials(path) == [
        int(official_seal(w["a"]).certificate.serial),
        int(official_seal(w["b"]).certificate.serial),
    ]
    report = pyhanko_report(path)
    assert report.verdict == "valid" and len(report.signatures) == 2, report.to_dict()
    qpdf_ok(path)


def test_a_person_signs_with_their_person_certificate_at_a_free_place(signing_world, tmp_path):
    w = signing_world
    contract = upload(w["a"], w["a_owner"])
    add_party(contract, company=w["a"], user=w["a_keeper"])
    pp = add_party(contract, user=w["person"])
    contract.order = "parallel"
    contract.save()
    send(contract, w["a_owner"])
    pp.refresh_from_db()
    seal = w["person_seal"]
    with pytest.raises(SigningError) as err:  # non-designated: a place is needed
        signing.sign(pp, by=w["person"], seal=seal, intent=confirmed(pp, w["person"]))
    assert err.value.code == "free.none"
    act = signing.sign(
        pp,
        by=w["person"],
        seal=seal,
        intent=confirmed(pp, w["person"]),
        free=[FreeMark(page=1, x_mm=40, y_mm=60)],
    )
    assert act.pages == [1] and act.marks[0]["free"] is True
    path = latest_file(contract, tmp_path)
    assert pdf_serials(path) == [int(seal.certificate.serial)]
    assert seal.certificate.user_id == w["person"].pk
    assert pyhanko_report(path).verdict == "valid"


def test_refusals_write_nothing(signing_world, django_capture_on_commit_callbacks):
    w = signing_world
    contract, pa, pb = two_party_contract(w)
    a_seal, b_seal = official_seal(w["a"]), official_seal(w["b"])

    def refused(party, user, seal, code, intent=True):
        with pytest.raises(SigningError) as err:
            signing.sign(
                party, by=user, seal=seal, intent=confirmed(party, user) if intent else None
            )
        assert err.value.code == code, err.value.message
        assert err.value.message

    refused(pb, w["b_owner"], b_seal, "not_your_turn")  # in order: A first
    refused(pa, w["a_member"], a_seal, "not_allowed")  # a member may not stamp
    refused(pa, w["a_owner"], b_seal, "seal_unusable")  # another company's seal
    refused(pa, w["a_keeper"], w["person_seal"], "seal_unusable")  # someone's personal seal
    refused(pa, w["a_keeper"], a_seal, "intent_missing", intent=False)
    expired = confirmed(pa, w["a_keeper"], minutes=-1)
    with pytest.raises(SigningError) as err:
        signing.sign(pa, by=w["a_keeper"], seal=a_seal, intent=expired)
    assert err.value.code == "intent_missing"
    # someone else's confirmation does not count either
    with pytest.raises(SigningError) as err:
        signing.sign(pa, by=w["a_keeper"], seal=a_seal, intent=confirmed(pa, w["a_owner"]))
    assert err.value.code == "intent_missing"
    assert contract.versions.count() == 1 and not SigningAct.objects.exists()
    assert not SigningIntent.objects.filter(used_at__isnull=False).exists()
    a_seal.refresh_from_db()
    assert a_seal.use_count == 0


def test_a_disabled_seal_is_refused(signing_world):
    w = signing_world
    contract, pa, _pb = two_party_contract(w)
    seal = official_seal(w["a"])
    seal.status = "disabled"
    seal.save()
    with pytest.raises(SigningError) as err:
        signing.sign(pa, by=w["a_keeper"], seal=seal, intent=confirmed(pa, w["a_keeper"]))
    assert err.value.code == "seal_unusable"


def test_one_confirmation_signs_once(signing_world):
    w = signing_world
    contract, pa, pb = two_party_contract(w, order="parallel")
    intent = confirmed(pa, w["a_keeper"])
    signing.sign(pa, by=w["a_keeper"], seal=official_seal(w["a"]), intent=intent)
    intent.refresh_from_db()
    assert intent.used_at is not None
    # The party has signed: a replay is refused whatever the confirmation.
    with pytest.raises(SigningError):
        signing.sign(pa, by=w["a_keeper"], seal=official_seal(w["a"]), intent=intent)
    assert SigningAct.objects.count() == 1


def test_a_keyword_that_is_not_there_is_explained_and_nothing_is_kept(signing_world):
    w = signing_world
    contract, pa, _pb = two_party_contract(w, positions=False)
    Position.objects.create(participant=pa, form="keyword", keyword="不存在的关键字")
    with pytest.raises(SigningError) as err:
        signing.sign(
            pa, by=w["a_keeper"], seal=official_seal(w["a"]), intent=confirmed(pa, w["a_keeper"])
        )
    assert err.value.code.startswith("engine.")
    assert "不存在的关键字" in err.value.message
    assert contract.versions.count() == 1
    assert not SigningIntent.objects.filter(used_at__isnull=False).exists()


@pytest.mark.parametrize("where", ["after_engine", "while_storing"])
def test_a_crash_mid_act_leaves_the_previous_version_current(signing_world, monkeypatch, where):
    from django.core.files.storage import default_storage

    from chop.contracts import documents

    w = signing_world
    contract, pa, _pb = two_party_contract(w)
    before = set(_stored_files(default_storage, contract))

    class Crash(Exception):
        pass

    if where == "after_engine":
        real_sha = documents.file_sha256

        def boom(path):
            real_sha(path)
            raise Crash("power cut after the engine wrote its output")

        monkeypatch.setattr(documents, "file_sha256", boom)
    else:
        real_save = DocumentVersion.save

        def boom(self, *a, **kw):
            if self.reason == DocumentVersion.Reason.SIGNED:
                assert self.file.name and default_storage.exists(self.file.name)
                raise Crash("the database went away while the version was stored")
            return real_save(self, *a, **kw)

        monkeypatch.setattr(DocumentVersion, "save", boom)
    with pytest.raises(Crash):
        signing.sign(
            pa, by=w["a_keeper"], seal=official_seal(w["a"]), intent=confirmed(pa, w["a_keeper"])
        )
    assert contract.current_version().number == 1
    assert contract.versions.count() == 1
    assert set(_stored_files(default_storage, contract)) == before  # no orphan half-file
    pa.refresh_from_db()
    assert pa.state == "to_sign"
    assert not SigningIntent.objects.filter(used_at__isnull=False).exists()
    assert not SigningAct.objects.exists()


def test_a_crash_after_the_version_row_deletes_its_file(signing_world, monkeypatch):
    """The file is written and its row saved, then the act fails: the transaction rolls the row
    back and the file goes too."""
    from django.core.files.storage import default_storage

    from chop.contracts import sending

    w = signing_world
    contract, pa, _pb = two_party_contract(w)
    before = set(_stored_files(default_storage, contract))

    def boom(*a, **kw):
        raise RuntimeError("crash after the version row")

    monkeypatch.setattr(sending, "mark_signed", boom)
    with pytest.raises(RuntimeError):
        signing.sign(
            pa, by=w["a_keeper"], seal=official_seal(w["a"]), intent=confirmed(pa, w["a_keeper"])
        )
    assert contract.versions.count() == 1
    assert set(_stored_files(default_storage, contract)) == before


def _stored_files(storage, contract):
    try:
        _dirs, files = storage.listdir(f"contracts/{contract.pk}")
    except FileNotFoundError:
        return []
    return files
