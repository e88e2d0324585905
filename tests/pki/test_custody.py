"""Encrypted-at-rest key custody: no plaintext on disk, the right KEK only, signers reuse keys."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

from chop.pki import CustodyError, EncryptedFileCustody, PlatformCA, WrongKEKError
from chop.pki import file_custody as file_custody_mod
from chop.pki.envelope import derive_kek, kek_from_env_or_file

from .conftest import KEK


def _secret_fragments(key) -> list[bytes]:
    """Byte strings that would betray the private key if found on disk."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    out = [der, der[40:72], pem.splitlines()[3]]
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.private_numbers()
        for value in (numbers.d, numbers.p, numbers.q):
            out.append(value.to_bytes((value.bit_length() + 7) // 8, "big")[:32])
    return out


def test_no_private_key_in_clear_anywhere_in_the_ca_dir(ca, company, person, ca_dir):
    files = [p for p in ca_dir.rglob("*") if p.is_file()]
    blobs = list((ca_dir / "keys").glob("*.json"))
    # root, issuing, TSA, company, person keys + the ID pepper
    assert len(blobs) >= 6
    contents = [p.read_bytes() for p in files]
    refs = [
        company.key_ref,
        person.key_ref,
        ca.config["root_key_ref"],
        ca.config["issuing_key_ref"],
        ca.config["tsa_key_ref"],
    ]
    for ref in refs:
        key = ca.file_custody.private_key(ref)
        for fragment in _secret_fragments(key):
            assert not any(fragment in data for data in contents), ref
    assert not any(b"PRIVATE KEY" in data for data in contents)
    # and no stray temp files were left behind
    assert not [p for p in files if p.name.endswith(".tmp")]


def test_blob_format_is_an_aes_gcm_envelope(company, ca_dir):
    key_id = company.key_ref.split(":", 1)[1]
    doc = json.loads((ca_dir / "keys" / f"{key_id}.json").read_text())
    assert doc["alg"] == "AES-256-GCM"
    assert set(doc) >= {"wrapped_dek", "nonce", "ciphertext", "kek_check"}
    # 12-byte nonce + 32-byte data key + 16-byte tag
    import base64

    assert len(base64.b64decode(doc["wrapped_dek"])) == 12 + 32 + 16
    assert (ca_dir / "keys" / f"{key_id}.json").stat().st_mode & 0o077 == 0


def test_decrypts_only_with_the_right_kek(ca, company, ca_dir):
    right = EncryptedFileCustody(ca_dir / "keys", KEK)
    key = right.private_key(company.key_ref)
    assert key.public_key().public_numbers() == company.certificate.public_key().public_numbers()

    wrong = EncryptedFileCustody(ca_dir / "keys", "not the kek")
    with pytest.raises(WrongKEKError, match="key-encryption key"):
        wrong.private_key(company.key_ref)
    with pytest.raises(WrongKEKError, match="CHOP_KEK"):
        PlatformCA.load(ca_dir, "not the kek")
    # bytes and str KEKs of the same value are the same KEK
    assert PlatformCA.load(ca_dir, KEK.encode()).issuing_certificate == ca.issuing_certificate


def test_tampered_or_swapped_blob_is_rejected(company, person, ca_dir, tmp_path):
    keys = tmp_path / "keys"
    shutil.copytree(ca_dir / "keys", keys)
    a = company.key_ref.split(":", 1)[1]
    b = person.key_ref.split(":", 1)[1]

    # swap: person's envelope stored under the company's name -> purpose (AAD) mismatch
    (keys / f"{a}.json").write_bytes((ca_dir / "keys" / f"{b}.json").read_bytes())
    with pytest.raises(CustodyError):
        EncryptedFileCustody(keys, KEK).private_key(company.key_ref)

    # flip one ciphertext byte -> GCM authentication fails
    doc = json.loads((ca_dir / "keys" / f"{b}.json").read_text())
    import base64

    ct = bytearray(base64.b64decode(doc["ciphertext"]))
    ct[10] ^= 1
    doc["ciphertext"] = base64.b64encode(bytes(ct)).decode()
    (keys / f"{b}.json").write_text(json.dumps(doc))
    with pytest.raises(CustodyError, match="corrupt"):
        EncryptedFileCustody(keys, KEK).private_key(person.key_ref)


def test_kek_derivation_and_sources(tmp_path, monkeypatch):
    assert len(derive_kek("x")) == 32
    assert derive_kek("x") == derive_kek(b"x") != derive_kek("y")
    with pytest.raises(CustodyError):
        derive_kek("")
    kek_file = tmp_path / "kek"
    kek_file.write_bytes(b"from-a-file\n")
    assert kek_from_env_or_file(kek_file) == b"from-a-file"
    monkeypatch.setenv("CHOP_KEK", "from-env")
    assert kek_from_env_or_file() == b"from-env"
    monkeypatch.delenv("CHOP_KEK")
    with pytest.raises(CustodyError, match="CHOP_KEK"):
        kek_from_env_or_file()


def test_signer_is_cached_and_key_unwrapped_once(ca, ca_dir, company, monkeypatch):
    calls = []
    real_decrypt = file_custody_mod.decrypt

    def counting_decrypt(*args, **kwargs):
        calls.append(kwargs.get("purpose"))
        return real_decrypt(*args, **kwargs)

    monkeypatch.setattr(file_custody_mod, "decrypt", counting_decrypt)
    fresh = PlatformCA.load(ca_dir, KEK)  # a new process, in effect: nothing cached yet
    signer = fresh.signer(company.serial)
    assert fresh.signer(company.serial) is signer

    # signing uses the loaded key object: pyHanko's per-signature re-parse of the DER (30 ms for
    # RSA) must not happen, so make it impossible (validation below uses the session CA, whose
    # CA keys are already loaded, so nothing else needs to parse a key either)
    import pyhanko.sign.signers.pdf_cms as pdf_cms

    def no_reparse(*args, **kwargs):
        raise AssertionError("private key re-parsed for a signature")

    monkeypatch.setattr(pdf_cms.serialization, "load_der_private_key", no_reparse)
    for data in (b"one", b"two", b"three"):
        cms = asyncio.run(signer.async_sign_general_data(data, "sha256"))
        status = asyncio.run(
            async_validate_detached_cms(
                data, cms["content"], signer_validation_context=ca.validation_context()
            )
        )
        assert status.intact and status.valid and status.trusted
    assert calls.count(company.key_ref) == 1
    assert signer.signing_cert.serial_number == company.serial
    chain_subjects = {c.subject.native["common_name"] for c in signer.cert_registry}
    assert {"Chop Issuing CA", "Chop Root CA"} <= chain_subjects


def test_ca_keys_do_not_sign_documents(ca):
    with pytest.raises(CustodyError):
        ca.signer(ca.issuing_certificate.serial_number)
    with pytest.raises(KeyError):
        ca.signer(12345)


def test_kek_rotation_rewraps_without_touching_key_ciphertext(tmp_path):
    ca = PlatformCA.init(tmp_path / "ca", "old-kek", key_type="p256")
    cred = ca.issue_person("李四", "110101199003070011")
    id_hash = ca.person_id_hash("110101199003070011")
    keys = tmp_path / "ca" / "keys"
    before = {p.name: json.loads(p.read_text()) for p in keys.glob("*.json")}

    assert ca.rotate_kek("new-kek") == len(before)
    after = {p.name: json.loads(p.read_text()) for p in keys.glob("*.json")}
    assert after.keys() == before.keys()
    for name, doc in after.items():
        assert doc["ciphertext"] == before[name]["ciphertext"]
        assert doc["wrapped_dek"] != before[name]["wrapped_dek"]

    with pytest.raises(WrongKEKError):
        PlatformCA.load(tmp_path / "ca", "old-kek")
    reloaded = PlatformCA.load(tmp_path / "ca", "new-kek")
    # the same keys and pepper, now under the new KEK
    key = reloaded.file_custody.private_key(cred.key_ref)
    assert key.public_key() == cred.certificate.public_key()
    assert reloaded.person_id_hash("110101199003070011") == id_hash
    asyncio.run(reloaded.signer(cred.serial).async_sign_general_data(b"x", "sha256"))
    # running it again is a no-op (resumable after an interruption)
    assert reloaded.file_custody.rotate_kek("new-kek") == 0


def test_expired_certificate_gets_no_signer(ca, monkeypatch):
    from datetime import timedelta

    import chop.pki.ca as ca_mod
    from chop.pki import CertificateExpiredError

    cred = ca.issue_company("北京测试科技有限公司", "91350100M000100Y43", valid_days=1)
    assert ca.signer(cred.serial) is not None  # cached while valid
    real_now = ca_mod.utc_now
    monkeypatch.setattr(ca_mod, "utc_now", lambda: real_now() + timedelta(days=2))
    with pytest.raises(CertificateExpiredError):
        ca.signer(cred.serial)
