"""Personal data at rest: ID numbers are stored encrypted, and matched through a keyed hash.

Operators need to read an ID number beside the photo, so it cannot be a one-way hash alone; the
clear value never sits in the database. Values are sealed in chop.pki.custody's envelope under
``CHOP_KEK`` (the key-encryption key that wraps signing keys), bound to the purpose "pii"; the
look-up hash uses its own HKDF-derived key.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from chop.pki.custody import derive_kek
from chop.pki.custody import seal as envelope_seal
from chop.pki.custody import unseal as envelope_unseal

PURPOSE = "pii"


@cache
def _kek() -> bytes:
    return derive_kek(settings.CHOP_KEK)


@cache
def _match_key() -> bytes:
    kek = settings.CHOP_KEK.encode() if isinstance(settings.CHOP_KEK, str) else settings.CHOP_KEK
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"chop-pii/match").derive(kek)


def seal(value: str) -> str:
    """Encrypt ``value`` in the same envelope as signing keys (chop.pki.custody: a data key per
    value under AES-256-GCM, wrapped by the KEK), as text for a database column."""
    return envelope_seal(_kek(), value.encode(), purpose=PURPOSE).decode("ascii")


def unseal(token: str) -> str:
    if not token:
        return ""
    return envelope_unseal(_kek(), token.encode("ascii"), purpose=PURPOSE).decode()


def match_hash(value: str) -> str:
    """A keyed hash for equality look-ups (same person, same legal representative)."""
    return hmac.new(_match_key(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
