"""Software keys at rest: AES-256-GCM envelopes (:mod:`chop.pki.envelope`) in a blob store.

Each private key is PKCS#8 DER encrypted under its own data key, wrapped by the KEK; only the
envelope is written (to a directory here, to a database table in the Django app), and unwrapped
keys stay in process memory.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .custody import (
    KeyCustody,
    PrivateKey,
    PublicKey,
    asn1_certificate,
    generate_private_key,
)
from .envelope import decrypt, derive_kek, encrypt, kek_check_value, rewrap
from .errors import CustodyError

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer

__all__ = [
    "BlobStore",
    "DirectoryBlobStore",
    "EncryptedFileCustody",
    "remove_stale_temporaries",
]


class BlobStore(ABC):
    """Minimal storage for encrypted key envelopes (a directory here, a DB table in Django)."""

    @abstractmethod
    def put(self, name: str, data: bytes) -> None: ...

    @abstractmethod
    def get(self, name: str) -> bytes: ...

    @abstractmethod
    def names(self) -> list[str]:
        """Every stored blob's name (for KEK rotation)."""

    def delete(self, name: str) -> bool:
        """Remove a blob; whether it existed. Stores that never delete may keep the default."""
        return False

    def clean_temporary(self) -> int:
        """Remove leftovers of writes a crash interrupted; how many. Nothing to do by default."""
        return 0


class DirectoryBlobStore(BlobStore):
    """Encrypted envelopes as files ``<name>.json`` in one directory, replaced atomically."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"bad blob name {name!r}")
        return self.directory / f"{name}.json"

    def put(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self._path(name)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        # Only ever called with ciphertext envelopes (see encrypt()); never with key plaintext.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise CustodyError(
                f"no key blob named {name!r}", code="key_missing", key=name
            ) from None

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.json"))

    def delete(self, name: str) -> bool:
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            return False
        return True

    def clean_temporary(self) -> int:
        """Delete ``.*.tmp`` files that a process killed between write and rename left behind.

        They hold a complete or partial (encrypted) envelope that was never put in place, so
        nothing refers to them. Called when a CA opens; a write in progress elsewhere at that
        moment fails its rename and is retried by its caller, which is rare and harmless next to
        key envelopes piling up unaccounted for.
        """
        return remove_stale_temporaries(self.directory)


# A temporary file younger than this may belong to a write still in progress (another process
# issuing a certificate right now), so it is left alone.
STALE_TEMPORARY_SECONDS = 60.0


def remove_stale_temporaries(
    directory: Path, *, older_than: float = STALE_TEMPORARY_SECONDS
) -> int:
    """Delete the ``.<name>.<random>.tmp`` files of interrupted atomic writes in ``directory``."""
    import time

    removed = 0
    cutoff = time.time() - older_than
    try:
        candidates = list(Path(directory).glob(".*.tmp"))
    except FileNotFoundError:
        return 0
    for path in candidates:
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # renamed or removed meanwhile by its own writer
    return removed


class EncryptedFileCustody(KeyCustody):
    """Software keys, AES-256-GCM envelope-encrypted at rest under a KEK.

    Unwrapped keys are cached in memory (and so are the signers built from them), so signing many
    documents with the same seal costs one unwrap.
    """

    scheme = "enc"

    def __init__(self, directory: Path | BlobStore, kek: bytes | str):
        self.store = (
            directory if isinstance(directory, BlobStore) else DirectoryBlobStore(directory)
        )
        self._kek = derive_kek(kek)
        self._keys: dict[str, PrivateKey] = {}
        self._lock = threading.Lock()

    @property
    def kek_check(self) -> str:
        return kek_check_value(self._kek)

    def _name(self, key_ref: str) -> str:
        if not self.owns(key_ref):
            raise CustodyError(
                f"{key_ref!r} is not an encrypted-file key", code="wrong_custody", key_ref=key_ref
            )
        return key_ref.split(":", 1)[1]

    def import_key(self, key: PrivateKey) -> str:
        """Encrypt and store an existing in-memory key; return its ``key_ref``."""
        key_id = secrets.token_hex(16)
        key_ref = f"{self.scheme}:{key_id}"
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.store.put(key_id, encrypt(self._kek, der, purpose=key_ref))
        with self._lock:
            self._keys[key_ref] = key
        return key_ref

    def generate(self, key_type: str, label: str) -> tuple[str, PublicKey]:
        key = generate_private_key(key_type)
        return self.import_key(key), key.public_key()

    def private_key(self, key_ref: str) -> PrivateKey:
        with self._lock:
            cached = self._keys.get(key_ref)
        if cached is not None:
            return cached
        der = decrypt(self._kek, self.store.get(self._name(key_ref)), purpose=key_ref)
        # The DER was authenticated by AES-GCM, so it is exactly the key we generated and
        # checked: skipping cryptography's RSA consistency check on load saves ~30 ms per key.
        key = serialization.load_der_private_key(
            der, password=None, unsafe_skip_rsa_key_validation=True
        )
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise CustodyError(
                f"unsupported key algorithm in {key_ref}",
                code="unsupported_key_algorithm",
                key_ref=key_ref,
            )
        with self._lock:
            self._keys[key_ref] = key
        return key

    def public_key(self, key_ref: str) -> PublicKey:
        return self.private_key(key_ref).public_key()

    def encrypt_secret(self, name: str, data: bytes) -> None:
        """Store a small non-key secret (e.g. the ID-number pepper) under the same KEK."""
        self.store.put(name, encrypt(self._kek, data, purpose=f"secret:{name}"))

    def rotate_kek(self, new_kek: bytes | str) -> int:
        """Re-wrap every stored envelope under ``new_kek``; returns how many were re-wrapped.

        Resumable: envelopes already under the new KEK (per their check value) are skipped, so
        an interrupted rotation is finished by running it again with the old KEK.
        """
        new = derive_kek(new_kek)
        new_check = kek_check_value(new)
        count = 0
        for name in self.store.names():
            blob = self.store.get(name)
            if json.loads(blob).get("kek_check") == new_check:
                continue
            self.store.put(name, rewrap(self._kek, new, blob))
            count += 1
        self._kek = new
        return count

    def destroy(self, key_ref: str) -> bool:
        with self._lock:
            self._keys.pop(key_ref, None)
        return self.store.delete(self._name(key_ref))

    def decrypt_secret(self, name: str) -> bytes:
        """A secret stored by :meth:`encrypt_secret`."""
        return decrypt(self._kek, self.store.get(name), purpose=f"secret:{name}")

    def signer(
        self,
        key_ref: str,
        certificate: x509.Certificate,
        chain: Iterable[x509.Certificate],
    ) -> Signer:
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        key = self.private_key(key_ref)
        registry = SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain])
        return _in_memory_signer(asn1_certificate(certificate), key, registry)


def _in_memory_signer(cert: asn1_x509.Certificate, key: PrivateKey, registry: Any) -> Signer:
    """A pyHanko ``SimpleSigner`` that signs with the already-loaded key object.

    Stock ``SimpleSigner.sign_raw`` re-parses the PKCS#8 DER on every signature, and for RSA
    cryptography re-checks the key on load (~30 ms for 2048 bits), which would dominate the cost of
    signing a contract. RSA PKCS#1 v1.5 and ECDSA, the mechanisms our keys use, are signed here
    directly; anything else (e.g. RSASSA-PSS if a caller asks for it) falls back to pyHanko.
    """
    from cryptography.hazmat.primitives.asymmetric import padding
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    class _LoadedKeySigner(SimpleSigner):
        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            name = mechanism["algorithm"].native
            if name.endswith("_rsa") or name == "rsassa_pkcs1v15":
                if isinstance(key, rsa.RSAPrivateKey):
                    return key.sign(
                        data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm)
                    )
            elif (name.endswith("_ecdsa") or name == "ecdsa") and isinstance(
                key, ec.EllipticCurvePrivateKey
            ):
                return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)

    key_info = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return _LoadedKeySigner(signing_cert=cert, signing_key=key_info, cert_registry=registry)
