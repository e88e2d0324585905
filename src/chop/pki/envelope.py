"""Envelope encryption under the key-encryption key (KEK).

A fresh random data key per value encrypts it with AES-256-GCM, and the data key itself is
wrapped by the KEK, derived with HKDF from whatever secret the operator supplies (``CHOP_KEK`` or
a key file). Private keys, the ID-number pepper and the app's personal data all use this one
format, so rotating the KEK re-wraps data keys and never decrypts what they protect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import CustodyError, WrongKEKError

__all__ = [
    "decrypt",
    "derive_kek",
    "encrypt",
    "kek_check_value",
    "kek_from_env_or_file",
    "rewrap",
]

_KEK_SALT = b"chop-pki/kek/v1"
_BLOB_VERSION = 1


def derive_kek(secret: bytes | str) -> bytes:
    """Turn any operator-supplied secret into a 32-byte AES key with HKDF-SHA256.

    Operators set ``CHOP_KEK`` to arbitrary strings (passphrases, base64 blobs, hex), so the raw
    value is never used as a key directly: HKDF gives a uniform 256-bit key from any of them.
    """
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not secret:
        raise CustodyError("the key-encryption key is empty", code="kek_empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_KEK_SALT, info=b"chop pki kek").derive(
        secret
    )


def kek_from_env_or_file(kek_file: str | os.PathLike[str] | None = None) -> bytes:
    """The raw KEK secret from ``--kek-file`` (trailing newline stripped) or ``CHOP_KEK``."""
    if kek_file is not None:
        data = Path(kek_file).read_bytes().rstrip(b"\r\n")
        if not data:
            raise CustodyError(
                f"key file {kek_file} is empty", code="kek_file_empty", path=str(kek_file)
            )
        return data
    value = os.environ.get("CHOP_KEK")
    if not value:
        raise CustodyError(
            "no key-encryption key: set CHOP_KEK or pass --kek-file", code="kek_missing"
        )
    return value.encode("utf-8")


def kek_check_value(kek: bytes) -> str:
    """A non-secret fingerprint of a derived KEK, stored with the CA to fail fast on a wrong KEK."""
    return hmac.new(kek, b"chop-pki/kek-check", hashlib.sha256).hexdigest()[:32]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def encrypt(kek: bytes, plaintext: bytes, *, purpose: str) -> bytes:
    """Envelope-encrypt ``plaintext``: random data key under AES-256-GCM, wrapped by ``kek``.

    ``purpose`` is bound into both layers as associated data, so a blob cannot be swapped for
    another one (a key for a different certificate, a pepper for a key) without detection.
    """
    dek = AESGCM.generate_key(bit_length=256)
    aad = f"chop-pki/v{_BLOB_VERSION}/{purpose}".encode()
    wrap_nonce, data_nonce = os.urandom(12), os.urandom(12)
    wrapped = AESGCM(kek).encrypt(wrap_nonce, dek, aad + b"/dek")
    ciphertext = AESGCM(dek).encrypt(data_nonce, plaintext, aad)
    doc = {
        "v": _BLOB_VERSION,
        "alg": "AES-256-GCM",
        "purpose": purpose,
        "kek_check": kek_check_value(kek),
        "wrapped_dek": _b64(wrap_nonce + wrapped),
        "nonce": _b64(data_nonce),
        "ciphertext": _b64(ciphertext),
    }
    return json.dumps(doc, sort_keys=True).encode("ascii")


def decrypt(kek: bytes, blob: bytes, *, purpose: str) -> bytes:
    """Reverse of :func:`encrypt`; raises :class:`WrongKEKError` when ``kek`` is not the right one."""
    try:
        doc = json.loads(blob)
    except ValueError as exc:
        raise CustodyError(
            "key blob is not a Chop key envelope", code="envelope_malformed"
        ) from exc
    if doc.get("v") != _BLOB_VERSION or doc.get("alg") != "AES-256-GCM":
        raise CustodyError(
            f"unsupported key envelope version {doc.get('v')!r}",
            code="envelope_unsupported",
            version=str(doc.get("v")),
        )
    if doc.get("purpose") != purpose:
        raise CustodyError(
            f"key envelope is for {doc.get('purpose')!r}, not {purpose!r}",
            code="envelope_purpose_mismatch",
            found=str(doc.get("purpose")),
            purpose=purpose,
        )
    aad = f"chop-pki/v{_BLOB_VERSION}/{purpose}".encode()
    wrapped = _unb64(doc["wrapped_dek"])
    try:
        dek = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], aad + b"/dek")
    except InvalidTag:
        raise WrongKEKError(
            "cannot unwrap the key: the key-encryption key (CHOP_KEK / --kek-file) is not the one "
            "this key was encrypted with"
        ) from None
    try:
        return AESGCM(dek).decrypt(_unb64(doc["nonce"]), _unb64(doc["ciphertext"]), aad)
    except InvalidTag:
        raise CustodyError(
            "key envelope is corrupt (authentication failed)", code="envelope_corrupt"
        ) from None


def rewrap(old_kek: bytes, new_kek: bytes, blob: bytes) -> bytes:
    """Re-wrap an envelope's data key under ``new_kek``; the key ciphertext is left untouched.

    This is why there is a data key per private key: rotating the KEK rewrites 60 bytes per key
    and never decrypts a private key.
    """
    doc = json.loads(blob)
    purpose = doc["purpose"]
    aad = f"chop-pki/v{_BLOB_VERSION}/{purpose}".encode() + b"/dek"
    wrapped = _unb64(doc["wrapped_dek"])
    try:
        dek = AESGCM(old_kek).decrypt(wrapped[:12], wrapped[12:], aad)
    except InvalidTag:
        raise WrongKEKError(f"the current KEK does not open {purpose}", purpose=purpose) from None
    nonce = os.urandom(12)
    doc["wrapped_dek"] = _b64(nonce + AESGCM(new_kek).encrypt(nonce, dek, aad))
    doc["kek_check"] = kek_check_value(new_kek)
    return json.dumps(doc, sort_keys=True).encode("ascii")
