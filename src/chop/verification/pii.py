"""Personal data at rest: ID numbers are stored encrypted, and matched through a keyed hash.

Operators need to read an ID number beside the photo, so it cannot be a one-way hash alone; the
clear value never sits in the database. The key comes from ``CHOP_KEK`` (the same key-encryption
key that wraps signing keys), separated by an HKDF label so the two uses never share a key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@cache
def _key(label: bytes) -> bytes:
    kek = settings.CHOP_KEK.encode() if isinstance(settings.CHOP_KEK, str) else settings.CHOP_KEK
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"chop-pii/" + label).derive(
        kek
    )


def seal(value: str) -> str:
    """Encrypt ``value`` (AES-256-GCM, random nonce); returns base64 text for a CharField."""
    nonce = os.urandom(12)
    ct = AESGCM(_key(b"enc")).encrypt(nonce, value.encode(), b"chop-pii-v1")
    return "v1:" + base64.b64encode(nonce + ct).decode()


def unseal(token: str) -> str:
    if not token:
        return ""
    raw = base64.b64decode(token.removeprefix("v1:"))
    return AESGCM(_key(b"enc")).decrypt(raw[:12], raw[12:], b"chop-pii-v1").decode()


def match_hash(value: str) -> str:
    """A keyed hash for equality look-ups (same person, same legal representative)."""
    return hmac.new(_key(b"match"), value.strip().upper().encode(), hashlib.sha256).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
