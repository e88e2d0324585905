"""PKCS#11 custody against a real SoftHSM2 token created for this test run."""

from __future__ import annotations

import asyncio
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

from chop.pki import KeyNotExportable, Pkcs11Custody, PlatformCA
from chop.pki.custody import CustodyError

from .conftest import COMPANY, ID_NUMBER, KEK, PERSON, USCC


@pytest.fixture(scope="module")
def hsm(softhsm):
    module, label, pin = softhsm
    custody = Pkcs11Custody(module, label, pin)
    yield custody
    custody.close()


@pytest.fixture(scope="module")
def hsm_ca(tmp_path_factory, hsm):
    return PlatformCA.init(tmp_path_factory.mktemp("pki-hsm") / "ca", KEK, ee_custody=hsm)


def _verify(ca, signer, data: bytes):
    cms = asyncio.run(signer.async_sign_general_data(data, "sha256"))
    return asyncio.run(
        async_validate_detached_cms(
            data, cms["content"], signer_validation_context=ca.validation_context()
        )
    )


@pytest.mark.parametrize("key_type", ["rsa2048", "p256"])
def test_key_generated_on_token_signs_and_verifies(hsm_ca, hsm, key_type):
    cred = hsm_ca.issue_company(COMPANY, USCC, key_type=key_type)
    assert cred.key_ref.startswith("pkcs11:")
    expected = rsa.RSAPublicKey if key_type == "rsa2048" else ec.EllipticCurvePublicKey
    assert isinstance(cred.certificate.public_key(), expected)
    # the token's public key is the certified one
    assert hsm.public_key(cred.key_ref) == cred.certificate.public_key()

    signer = hsm_ca.signer(cred.serial)
    assert isinstance(signer, PKCS11Signer)
    status = _verify(hsm_ca, signer, b"contract bytes")
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.serial_number == cred.serial

    # tampered data does not verify
    cms = asyncio.run(signer.async_sign_general_data(b"original", "sha256"))
    bad = asyncio.run(
        async_validate_detached_cms(
            b"tampered", cms["content"], signer_validation_context=hsm_ca.validation_context()
        )
    )
    assert not bad.intact


def test_token_key_is_sensitive_and_not_exportable(hsm_ca, hsm):
    from pkcs11 import Attribute, ObjectClass

    cred = hsm_ca.issue_person(PERSON, ID_NUMBER, key_type="p256")  # RSA keygen in SoftHSM is slow
    (priv,) = hsm.session.get_objects(
        {
            Attribute.CLASS: ObjectClass.PRIVATE_KEY,
            Attribute.ID: bytes.fromhex(cred.key_ref.split(":")[1]),
        }
    )
    assert priv[Attribute.SENSITIVE] is True
    assert priv[Attribute.EXTRACTABLE] is False
    with pytest.raises(KeyNotExportable):
        hsm_ca.export_pkcs12(cred.serial, b"password")
    # CA and TSA keys stay in encrypted files, so the CA still works with an HSM for end entities
    assert hsm_ca.config["issuing_key_ref"].startswith("enc:")


def test_concurrent_signing_through_one_session(hsm_ca):
    cred = hsm_ca.issue_company(COMPANY, USCC, key_type="p256")
    signer = hsm_ca.signer(cred.serial)
    results: list[bool] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            st = _verify(hsm_ca, signer, f"document {i}".encode())
            results.append(st.intact and st.valid)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results == [True] * 6


def test_hsm_key_needs_the_hsm_custody(hsm_ca):
    cred = hsm_ca.issue_company(COMPANY, USCC, key_type="p256")
    without_hsm = PlatformCA.load(hsm_ca.directory, KEK)
    with pytest.raises(CustodyError, match="ee_custody"):
        without_hsm.signer(cred.serial)


def test_wrong_pin_is_a_clear_error(softhsm):
    module, label, _pin = softhsm
    with pytest.raises(CustodyError, match="cannot open PKCS#11 token"):
        Pkcs11Custody(module, label, "000000").generate("p256", "x")
