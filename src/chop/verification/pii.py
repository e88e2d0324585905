"""Personal data at rest: ID numbers are stored encrypted, and matched through a keyed hash.

Operators need to read an ID number beside the photo, so it cannot be a one-way hash alone; the
clear value never sits in the database. Values are encrypted in chop.pki.custody's envelope
under ``CHOP_KEK`` (the key-encryption key that wraps signing keys), bound to the purpose "pii".

The look-up hash (``match_hash``) must *not* change when the KEK is rotated: the hashes are
compared across cases and are written into append-only evidence (``Evidence.inputs``), which
could no longer be matched if they changed. So the match key is a secret of its own, kept in the
database (:class:`~chop.verification.models.StoredKey`) encrypted under the KEK: ``chop
rotate_kek`` re-encrypts it with everything else and its value stays the same. It is created on first use with
the value the hashes were always made with (HKDF of ``CHOP_KEK`` with the label
"chop-pii/match"), so hashes stored before it existed keep matching.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction

from chop.pki.envelope import decrypt as envelope_decrypt
from chop.pki.envelope import derive_kek, kek_check_value
from chop.pki.envelope import encrypt as envelope_encrypt

PURPOSE = "pii"
MATCH_KEY_NAME = "pii-match"
MATCH_KEY_PURPOSE = "secret:pii-match"

_match_keys: dict[bytes, bytes] = {}
_match_lock = threading.Lock()


@cache
def derived_kek(secret: str | bytes) -> bytes:
    """The AES key for a ``CHOP_KEK`` value (cached per value, so a changed setting is honoured)."""
    return derive_kek(secret)


def _kek() -> bytes:
    return derived_kek(settings.CHOP_KEK)


def legacy_match_key(secret: str | bytes) -> bytes:
    """The match key as it was derived from ``CHOP_KEK`` before it was stored: the initial value
    of the stored key, so that every hash already in the database stays valid."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"chop-pii/match").derive(raw)


def encrypt_with(kek: bytes, value: str) -> str:
    return envelope_encrypt(kek, value.encode(), purpose=PURPOSE).decode("ascii")


def decrypt_with(kek: bytes, token: str) -> str:
    return envelope_decrypt(kek, token.encode("ascii"), purpose=PURPOSE).decode()


def encrypted_under(token: str, kek: bytes) -> bool:
    """Whether an envelope's data key is wrapped by ``kek`` (its non-secret check value)."""
    try:
        return json.loads(token).get("kek_check") == kek_check_value(kek)
    except (ValueError, AttributeError):
        return False


def encrypt(value: str) -> str:
    """Encrypt ``value`` in the same envelope as signing keys (chop.pki.custody: a data key per
    value under AES-256-GCM, wrapped by the KEK), as text for a database column."""
    return encrypt_with(_kek(), value)


def decrypt(token: str) -> str:
    if not token:
        return ""
    return decrypt_with(_kek(), token)


def load_match_key(secret: str | bytes) -> bytes:
    """The stored match key, opened with the KEK ``secret``; created (from the legacy derivation
    of that KEK) if the database has none yet. Two processes creating it at once store the same
    value, and the unique name keeps one row."""
    from .models import StoredKey

    kek = derived_kek(secret)
    row = StoredKey.objects.filter(name=MATCH_KEY_NAME).first()
    if row is None:
        encrypted = envelope_encrypt(
            kek, legacy_match_key(secret), purpose=MATCH_KEY_PURPOSE
        ).decode()
        try:
            with transaction.atomic():
                row = StoredKey.objects.create(name=MATCH_KEY_NAME, encrypted=encrypted)
        except IntegrityError:
            row = StoredKey.objects.get(name=MATCH_KEY_NAME)
    return envelope_decrypt(kek, row.encrypted.encode(), purpose=MATCH_KEY_PURPOSE)


def _match_key() -> bytes:
    kek = _kek()
    key = _match_keys.get(kek)
    if key is None:
        key = load_match_key(settings.CHOP_KEK)
        with _match_lock:
            _match_keys[kek] = key
    return key


def match_hash_with(key: bytes, value: str) -> str:
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def match_hash(value: str) -> str:
    """A keyed hash for equality look-ups (same person, same legal representative)."""
    return match_hash_with(_match_key(), value)


def clear_caches() -> None:
    """Forget cached keys (after ``rotate_kek`` in the same process, and in tests)."""
    derived_kek.cache_clear()
    with _match_lock:
        _match_keys.clear()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
