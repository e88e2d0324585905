"""Key custody: where private keys live and how a signer gets at them.

Two backends share one small interface, so the CA and the Django app never care which one holds a
given key:

* :class:`EncryptedFileCustody` (default) keeps each private key as an AES-256-GCM envelope: a
  fresh random data key per private key encrypts the PKCS#8 DER, and the data key itself is
  wrapped by the key-encryption key (KEK) that comes from the environment or a key file. Only the
  envelope is ever written; the plaintext DER exists in process memory only.
* :class:`Pkcs11Custody` generates keys inside a PKCS#11 token (SoftHSM2 in the tests, a real HSM
  in production) as sensitive, non-extractable objects, so the private key never leaves the token.

Keys are named by an opaque ``key_ref`` string (``"enc:<id>"`` or ``"pkcs11:<hex id>"``) that is
safe to store next to the certificate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer

__all__ = [
    "KEY_TYPES",
    "CustodyError",
    "EncryptedFileCustody",
    "KeyCustody",
    "KeyNotExportable",
    "Pkcs11Custody",
    "WrongKEKError",
    "derive_kek",
    "generate_private_key",
    "kek_from_env_or_file",
]

KEY_TYPES = ("rsa2048", "p256")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_KEK_SALT = b"chop-pki/kek/v1"
_BLOB_VERSION = 1


class CustodyError(Exception):
    """A key could not be created, found, unwrapped or used."""


class WrongKEKError(CustodyError):
    """The key-encryption key given is not the one the key material was encrypted with."""


class KeyNotExportable(CustodyError):
    """The key lives in hardware (or is otherwise sealed) and cannot be exported."""


def derive_kek(secret: bytes | str) -> bytes:
    """Turn any operator-supplied secret into a 32-byte AES key with HKDF-SHA256.

    Operators set ``CHOP_KEK`` to arbitrary strings (passphrases, base64 blobs, hex), so the raw
    value is never used as a key directly: HKDF gives a uniform 256-bit key from any of them.
    """
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not secret:
        raise CustodyError("the key-encryption key is empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_KEK_SALT, info=b"chop pki kek").derive(
        secret
    )


def kek_from_env_or_file(kek_file: str | os.PathLike[str] | None = None) -> bytes:
    """The raw KEK secret from ``--kek-file`` (trailing newline stripped) or ``CHOP_KEK``."""
    if kek_file is not None:
        data = Path(kek_file).read_bytes().rstrip(b"\r\n")
        if not data:
            raise CustodyError(f"key file {kek_file} is empty")
        return data
    value = os.environ.get("CHOP_KEK")
    if not value:
        raise CustodyError("no key-encryption key: set CHOP_KEK or pass --kek-file")
    return value.encode("utf-8")


def kek_check_value(kek: bytes) -> str:
    """A non-secret fingerprint of a derived KEK, stored with the CA to fail fast on a wrong KEK."""
    return hmac.new(kek, b"chop-pki/kek-check", hashlib.sha256).hexdigest()[:32]


def generate_private_key(key_type: str) -> PrivateKey:
    """A fresh software key of one of :data:`KEY_TYPES`."""
    if key_type == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key type {key_type!r}; expected one of {KEY_TYPES}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def seal(kek: bytes, plaintext: bytes, *, purpose: str) -> bytes:
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


def unseal(kek: bytes, blob: bytes, *, purpose: str) -> bytes:
    """Reverse of :func:`seal`; raises :class:`WrongKEKError` when ``kek`` is not the right one."""
    try:
        doc = json.loads(blob)
    except ValueError as exc:
        raise CustodyError("key blob is not a Chop key envelope") from exc
    if doc.get("v") != _BLOB_VERSION or doc.get("alg") != "AES-256-GCM":
        raise CustodyError(f"unsupported key envelope version {doc.get('v')!r}")
    if doc.get("purpose") != purpose:
        raise CustodyError(f"key envelope is for {doc.get('purpose')!r}, not {purpose!r}")
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
        raise CustodyError("key envelope is corrupt (authentication failed)") from None


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
        raise WrongKEKError(f"the current KEK does not open {purpose}") from None
    nonce = os.urandom(12)
    doc["wrapped_dek"] = _b64(nonce + AESGCM(new_kek).encrypt(nonce, dek, aad))
    doc["kek_check"] = kek_check_value(new_kek)
    return json.dumps(doc, sort_keys=True).encode("ascii")


class KeyCustody(ABC):
    """Where end-entity private keys live. The CA only ever talks to keys through this."""

    scheme: str

    @abstractmethod
    def generate(self, key_type: str, label: str) -> tuple[str, PublicKey]:
        """Create a key pair; return its ``key_ref`` and the public key to certify."""

    @abstractmethod
    def public_key(self, key_ref: str) -> PublicKey:
        """The public half of a held key."""

    @abstractmethod
    def signer(
        self,
        key_ref: str,
        certificate: x509.Certificate,
        chain: Iterable[x509.Certificate],
    ) -> Signer:
        """A pyHanko signer for the key, with the certificate and its chain attached."""

    def private_key(self, key_ref: str) -> PrivateKey:
        """The private key as an in-memory object (for export and CA operations).

        Hardware backends refuse: that is the point of holding the key in hardware.
        """
        raise KeyNotExportable(f"{self.scheme} keys cannot leave their custody ({key_ref})")

    def owns(self, key_ref: str) -> bool:
        """Whether ``key_ref`` names a key in this backend."""
        return key_ref.startswith(self.scheme + ":")

    def destroy(self, key_ref: str) -> bool:
        """Delete a key that must never be used (its certificate was issued in vain and revoked).

        Returns whether a key was deleted. Backends that cannot delete keep it: the revoked
        certificate already makes any signature with it invalid.
        """
        return False


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


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
        # Only ever called with ciphertext envelopes (see seal()); never with key plaintext.
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
            raise CustodyError(f"no key blob named {name!r}") from None

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
            raise CustodyError(f"{key_ref!r} is not an encrypted-file key")
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
        self.store.put(key_id, seal(self._kek, der, purpose=key_ref))
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
        der = unseal(self._kek, self.store.get(self._name(key_ref)), purpose=key_ref)
        # The DER was authenticated by AES-GCM, so it is exactly the key we generated and
        # checked: skipping cryptography's RSA consistency check on load saves ~30 ms per key.
        key = serialization.load_der_private_key(
            der, password=None, unsafe_skip_rsa_key_validation=True
        )
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise CustodyError(f"unsupported key algorithm in {key_ref}")
        with self._lock:
            self._keys[key_ref] = key
        return key

    def public_key(self, key_ref: str) -> PublicKey:
        return self.private_key(key_ref).public_key()

    def seal_secret(self, name: str, data: bytes) -> None:
        """Store a small non-key secret (e.g. the ID-number pepper) under the same KEK."""
        self.store.put(name, seal(self._kek, data, purpose=f"secret:{name}"))

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

    def unseal_secret(self, name: str) -> bytes:
        return unseal(self._kek, self.store.get(name), purpose=f"secret:{name}")

    def signer(
        self,
        key_ref: str,
        certificate: x509.Certificate,
        chain: Iterable[x509.Certificate],
    ) -> Signer:
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        key = self.private_key(key_ref)
        registry = SimpleCertificateStore.from_certs([_asn1_cert(c) for c in chain])
        return _in_memory_signer(_asn1_cert(certificate), key, registry)


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


class Pkcs11Custody(KeyCustody):
    """Keys generated inside a PKCS#11 token as sensitive, non-extractable objects.

    One authenticated session is opened lazily and shared by all signers, because logging in to
    a token per signature is slow and some HSMs limit the number of sessions.
    """

    scheme = "pkcs11"

    def __init__(self, module_path: str, token_label: str, user_pin: str):
        self.module_path = module_path
        self.token_label = token_label
        self._user_pin = user_pin
        self._session: Any = None
        self._lock = threading.RLock()

    @property
    def session(self) -> Any:
        with self._lock:
            if self._session is None:
                import pkcs11

                try:
                    lib = pkcs11.lib(self.module_path)
                    token = lib.get_token(token_label=self.token_label)
                    self._session = token.open(rw=True, user_pin=self._user_pin)
                except pkcs11.PKCS11Error as exc:
                    raise CustodyError(
                        f"cannot open PKCS#11 token {self.token_label!r} via {self.module_path}: "
                        f"{type(exc).__name__} {exc}"
                    ) from exc
            return self._session

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def _key_id(self, key_ref: str) -> bytes:
        if not self.owns(key_ref):
            raise CustodyError(f"{key_ref!r} is not a PKCS#11 key")
        return bytes.fromhex(key_ref.split(":", 1)[1])

    def generate(self, key_type: str, label: str) -> tuple[str, PublicKey]:
        import pkcs11
        from pkcs11 import Attribute, KeyType
        from pkcs11.util.ec import encode_named_curve_parameters

        key_id = secrets.token_bytes(16)
        private_template = {
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.PRIVATE: True,
        }
        with self._lock:
            session = self.session
            try:
                if key_type == "rsa2048":
                    pub, _priv = session.generate_keypair(
                        KeyType.RSA,
                        2048,
                        id=key_id,
                        label=label,
                        store=True,
                        private_template=private_template,
                    )
                elif key_type == "p256":
                    params = session.create_domain_parameters(
                        KeyType.EC,
                        {Attribute.EC_PARAMS: encode_named_curve_parameters("1.2.840.10045.3.1.7")},
                        local=True,
                    )
                    pub, _priv = params.generate_keypair(
                        id=key_id, label=label, store=True, private_template=private_template
                    )
                else:
                    raise ValueError(f"unknown key type {key_type!r}; expected one of {KEY_TYPES}")
            except pkcs11.PKCS11Error as exc:
                raise CustodyError(f"key generation on the token failed: {exc!r}") from exc
            return f"{self.scheme}:{key_id.hex()}", self._to_public(pub)

    @staticmethod
    def _to_public(pub: Any) -> PublicKey:
        from pkcs11 import KeyType
        from pkcs11.util.ec import encode_ec_public_key
        from pkcs11.util.rsa import encode_rsa_public_key

        if pub.key_type == KeyType.RSA:
            key = serialization.load_der_public_key(
                asn1_keys.PublicKeyInfo(
                    {
                        "algorithm": {"algorithm": "rsa"},
                        "public_key": asn1_keys.RSAPublicKey.load(encode_rsa_public_key(pub)),
                    }
                ).dump()
            )
        else:
            key = serialization.load_der_public_key(encode_ec_public_key(pub))
        assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
        return key

    def public_key(self, key_ref: str) -> PublicKey:
        from pkcs11 import Attribute, ObjectClass

        with self._lock:
            objs = list(
                self.session.get_objects(
                    {Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: self._key_id(key_ref)}
                )
            )
        if not objs:
            raise CustodyError(f"no public key {key_ref} on token {self.token_label!r}")
        return self._to_public(objs[0])

    def signer(
        self,
        key_ref: str,
        certificate: x509.Certificate,
        chain: Iterable[x509.Certificate],
    ) -> Signer:
        from pyhanko.sign.pkcs11 import PKCS11Signer

        # Sharing the one session between signers and threads is safe: python-pkcs11 holds a
        # per-session operation lock around each sign (PKCS#11 allows one active operation).
        return PKCS11Signer(
            self.session,
            signing_cert=_asn1_cert(certificate),
            ca_chain=[_asn1_cert(c) for c in chain],
            key_id=self._key_id(key_ref),
            other_certs_to_pull=(),
            # Hash in software, sign with plain CKM_ECDSA: SoftHSM2 (and several HSMs) have no
            # CKM_ECDSA_SHA256, while every token supports raw ECDSA.
            use_raw_mechanism=isinstance(certificate.public_key(), ec.EllipticCurvePublicKey),
        )
