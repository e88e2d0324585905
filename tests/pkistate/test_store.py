"""The CA's state in the database (``chop.pkistate``): the same CA as a directory holds, imported
from one on first use, with uniqueness and revoke-once settled by the database."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.conf import settings
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from chop.pki import PlatformCA
from chop.pki.errors import DuplicateSerialError
from chop.pki.storage import CAState, CAStore
from chop.pkistate.models import CAConfig, IssuedCertificate, KeyBlob
from chop.pkistate.store import DatabaseCAStore, open_platform_ca

pytestmark = pytest.mark.django_db

USCC = "9144030071526726XG"


def _empty_ca_tables() -> None:
    """Set the session's CA aside (its rows come back when the test's transaction rolls back)."""
    for model in (CAConfig, IssuedCertificate, KeyBlob):
        model.objects.all().delete()


@pytest.fixture
def ca():
    """A fresh CA in the database, under the platform's KEK."""
    _empty_ca_tables()
    return PlatformCA.init(DatabaseCAStore(), settings.CHOP_KEK, key_type="p256")


def ocsp_status(ca, credential):
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(credential.certificate, ca.issuing_certificate, hashes.SHA256())
        .build()
    )
    der = ca.ocsp_respond(request.public_bytes(serialization.Encoding.DER))
    return ocsp.load_der_ocsp_response(der).certificate_status


def test_the_database_store_is_a_ca_state():
    assert isinstance(DatabaseCAStore(), CAState) and isinstance(CAStore("/nowhere"), CAState)


def test_a_ca_directory_is_imported_on_first_open(tmp_path):
    files = PlatformCA.init(tmp_path / "pki", settings.CHOP_KEK, key_type="p256")
    kept = files.issue_company("深圳示例有限公司", USCC)
    revoked = files.issue_person("张三", "11010519491231002X")
    files.revoke(revoked.serial, "key_compromise")
    files.crl()
    files.crl()  # the directory's CRL number is now 2
    _empty_ca_tables()

    ca = open_platform_ca(tmp_path / "pki", settings.CHOP_KEK, site_url=files.site_url)

    assert ca.root_certificate == files.root_certificate
    assert ca.issuing_certificate == files.issuing_certificate
    assert ca.tsa_certificate == files.tsa_certificate
    assert {e["serial"] for e in ca.issued()} == {e["serial"] for e in files.issued()}
    assert ca.status(kept.serial).status == "good"
    moved = ca.status(revoked.serial)
    assert moved.is_revoked and moved.reason == "key_compromise"
    assert moved.revoked_at == files.status(revoked.serial).revoked_at
    # the keys came along (still encrypted): the imported certificate signs, the pepper matches
    assert ca.signer(kept.serial) is not None
    assert ca.person_id_hash("11010519491231002X") == files.person_id_hash("11010519491231002X")
    # CRL numbers go on from the directory's, and the CRL lists the revocation
    from cryptography import x509

    crl = x509.load_der_x509_crl(ca.crl())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > 2
    assert [r.serial_number for r in crl] == [revoked.serial]
    assert IssuedCertificate.objects.count() == len(files.issued())
    # imported once: opening again loads what is there, whatever the directory holds
    files.issue_company("另一家有限公司", "91310000MA1FL8XQ37")
    again = open_platform_ca(tmp_path / "pki", settings.CHOP_KEK, site_url=files.site_url)
    assert IssuedCertificate.objects.count() == len(files.issued()) - 1
    assert again.root_certificate == ca.root_certificate


def test_without_a_directory_a_new_ca_is_made(tmp_path):
    _empty_ca_tables()
    ca = open_platform_ca(tmp_path / "none", settings.CHOP_KEK, site_url="http://chop.test")
    assert CAConfig.objects.get().config["root_serial"] == ca.config["root_serial"]
    assert ca.site_url == "http://chop.test"
    assert not (tmp_path / "none").exists()  # nothing written to disk


def test_a_serial_is_recorded_once(ca):
    credential = ca.issue_company("深圳示例有限公司", USCC)
    entry = ca.store.entry(credential.serial)
    with pytest.raises(DuplicateSerialError):
        ca.store.add_certificate(credential.certificate, {**entry, "kind": "person"})
    assert IssuedCertificate.objects.filter(serial=credential.serial_hex).count() == 1
    assert ca.store.entry(credential.serial)["kind"] == "company"


def test_a_drawn_serial_that_is_taken_is_drawn_again(ca, monkeypatch):
    from chop.pki import ca as ca_module

    first = ca.issue_company("深圳示例有限公司", USCC)
    real = ca_module.end_entity_certificate
    calls = []

    def clash_once(*args, **kwargs):
        calls.append(1)
        return first.certificate if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(ca_module, "end_entity_certificate", clash_once)
    second = ca.issue_company("深圳示例有限公司", USCC)
    assert len(calls) == 2 and second.serial != first.serial
    assert ca.store.entry(first.serial)["key_ref"] == first.key_ref  # not overwritten


def test_the_first_revocation_wins(ca):
    credential = ca.issue_company("深圳示例有限公司", USCC)
    first = ca.revoke(credential.serial, "key_compromise")
    second = ca.revoke(credential.serial, "superseded")
    assert second.reason == first.reason == "key_compromise"
    assert second.revoked_at == first.revoked_at
    assert ocsp_status(ca, credential) == ocsp.OCSPCertStatus.REVOKED


def test_crl_numbers_only_grow(ca):
    numbers = [ca.store.next_crl_number("issuing") for _ in range(5)]
    assert numbers == sorted(set(numbers))
    assert ca.store.next_crl_number("root") > 0


def test_an_issuance_rolled_back_leaves_nothing_ocsp_calls_good(ca):
    with pytest.raises(RuntimeError), transaction.atomic():
        credential = ca.issue_company("深圳示例有限公司", USCC)
        assert ocsp_status(ca, credential) == ocsp.OCSPCertStatus.GOOD
        raise RuntimeError("the caller's transaction fails")
    assert ocsp_status(ca, credential) == ocsp.OCSPCertStatus.UNKNOWN
    assert not KeyBlob.objects.filter(name=credential.key_ref.split(":", 1)[1]).exists()
    with pytest.raises(KeyError):
        ca.signer(credential.serial)


def test_a_loaded_signer_costs_one_query_and_sees_a_revocation_elsewhere(ca):
    credential = ca.issue_company("深圳示例有限公司", USCC)
    ca.signer(credential.serial)  # loaded and cached
    from django.db import connection

    with CaptureQueriesContext(connection) as queries:
        ca.signer(credential.serial)
    assert len(queries) == 1  # the index entry: revoked? expired?
    # another process (another PlatformCA on the same database) revokes it
    PlatformCA.load(DatabaseCAStore(), settings.CHOP_KEK).revoke(credential.serial, "superseded")
    from chop.pki import CertificateRevokedError

    with pytest.raises(CertificateRevokedError):
        ca.signer(credential.serial)


@pytest.mark.parametrize("level", ["B-T", "B-LT"])
def test_pyhankos_event_loop_asks_the_ca_on_the_callers_connection(
    ca, monkeypatch, tmp_path, level
):
    """pyHanko signs and validates inside an event loop on this thread and fetches CRLs and OCSP
    answers from the CA there. Outside the tests Django refuses queries in a running loop (the
    suite sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, so it is lifted here), and the queries
    must use the test's own connection and transaction, or SQLite waits on its own write lock."""
    from chop import pdfsign as ps
    from tests.support.pdfsign_testing import demo_seal, make_pdf

    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    company = ca.issue_company("甲方科技有限公司", USCC)
    source, out = tmp_path / "c.pdf", tmp_path / "signed.pdf"
    source.write_bytes(make_pdf(1))
    ps.sign(
        source,
        out,
        signer=ca.signer(company.serial),
        marks=[ps.SingleMark(demo_seal(38), 1, 20, 20)],
        options=ps.SignOptions(
            timestamper=ca.timestamper(), validation_context=ca.validation_context(), level=level
        ),
    )
    ca.revoke(ca.issue_company("乙方贸易有限公司", "91110000600037341L").serial)  # a new CRL
    report = ps.verify(out.read_bytes(), validation_context=ca.validation_context())
    (sig,) = report.signatures
    assert sig.chain_status == "trusted" and sig.trusted, sig
    assert sig.pades_level == level
