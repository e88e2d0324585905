"""Key custody: where private keys live and how a signer gets at them.

Two backends share the one small interface defined here, so the CA and the Django app never care
which one holds a given key:

* :class:`~chop.pki.file_custody.EncryptedFileCustody` (default) keeps each private key as an
  AES-256-GCM envelope (:mod:`chop.pki.envelope`) under the key-encryption key (KEK). Only the
  envelope is ever written; the plaintext DER exists in process memory only.
* :class:`~chop.pki.pkcs11_custody.Pkcs11Custody` generates keys inside a PKCS#11 token (SoftHSM2
  in the tests, a real HSM in production) as sensitive, non-extractable objects, so the private
  key never leaves the token.

Keys are named by an opaque ``key_ref`` string (``"enc:<id>"`` or ``"pkcs11:<hex id>"``) that is
safe to store next to the certificate.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .errors import CustodyError, KeyNotExportable, PkiError, WrongKEKError

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer

__all__ = [
    "KEY_TYPES",
    "CustodyError",
    "KeyCustody",
    "KeyNotExportable",
    "PrivateKey",
    "PublicKey",
    "WrongKEKError",
    "generate_private_key",
    "unknown_key_type",
]

KEY_TYPES = ("rsa2048", "p256")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def unknown_key_type(key_type: str) -> PkiError:
    """The refusal for a key type outside :data:`KEY_TYPES` (one wording for every backend)."""
    return PkiError(
        f"unknown key type {key_type!r}; expected one of {KEY_TYPES}",
        code="unknown_key_type",
        key_type=key_type,
        expected=", ".join(KEY_TYPES),
    )


def generate_private_key(key_type: str) -> PrivateKey:
    """A fresh software key of one of :data:`KEY_TYPES`."""
    if key_type == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise unknown_key_type(key_type)


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
        raise KeyNotExportable(
            f"{self.scheme} keys cannot leave their custody ({key_ref})", key_ref=key_ref
        )

    def owns(self, key_ref: str) -> bool:
        """Whether ``key_ref`` names a key in this backend."""
        return key_ref.startswith(self.scheme + ":")

    def destroy(self, key_ref: str) -> bool:
        """Delete a key that must never be used (its certificate was issued in vain and revoked).

        Returns whether a key was deleted. Backends that cannot delete keep it: the revoked
        certificate already makes any signature with it invalid.
        """
        return False


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto form pyHanko's signers take."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
