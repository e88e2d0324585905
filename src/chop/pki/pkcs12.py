"""PKCS#12 export: a software key with its certificate and chain, for keychains and desktop signers."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .custody import PrivateKey
from .errors import PkiError

__all__ = ["export_pkcs12"]


def export_pkcs12(
    key: PrivateKey,
    certificate: x509.Certificate,
    chain: list[x509.Certificate],
    password: bytes | str,
    *,
    friendly_name: str,
    legacy: bool = False,
) -> bytes:
    """The key, certificate and chain as a password-protected PKCS#12.

    Default encryption is AES-256-CBC with PBKDF2 (what current OpenSSL, Java and pyHanko
    read). ``legacy=True`` uses PBE-SHA1-3DES with a SHA-1 MAC instead, for older Windows
    and macOS keychains that cannot import the modern format.
    """
    if isinstance(password, str):
        password = password.encode("utf-8")
    if not password:
        raise PkiError("a PKCS#12 export needs a non-empty password", code="pkcs12_password_empty")
    encryption: serialization.KeySerializationEncryption
    if legacy:
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(50_000)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(password)
        )
    else:
        encryption = serialization.BestAvailableEncryption(password)
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"), key, certificate, chain, encryption
    )
