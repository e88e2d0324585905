"""Keys inside a PKCS#11 token (SoftHSM2 in the tests, a hardware security module in production).

Keys are generated on the token as sensitive, non-extractable objects, so the private key never
leaves it: the CA certifies the public half and pyHanko's PKCS#11 signer asks the token to sign.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .custody import KeyCustody, PublicKey, asn1_certificate, unknown_key_type
from .errors import CustodyError

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer

__all__ = ["Pkcs11Custody"]


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
                        f"{type(exc).__name__} {exc}",
                        code="token_unavailable",
                        token=self.token_label,
                    ) from exc
            return self._session

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def _key_id(self, key_ref: str) -> bytes:
        if not self.owns(key_ref):
            raise CustodyError(
                f"{key_ref!r} is not a PKCS#11 key", code="wrong_custody", key_ref=key_ref
            )
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
                    raise unknown_key_type(key_type)
            except pkcs11.PKCS11Error as exc:
                raise CustodyError(
                    f"key generation on the token failed: {exc!r}",
                    code="token_key_generation_failed",
                    token=self.token_label,
                ) from exc
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
            raise CustodyError(
                f"no public key {key_ref} on token {self.token_label!r}",
                code="key_missing",
                key=key_ref,
            )
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
            signing_cert=asn1_certificate(certificate),
            ca_chain=[asn1_certificate(c) for c in chain],
            key_id=self._key_id(key_ref),
            other_certs_to_pull=(),
            # Hash in software, sign with plain CKM_ECDSA: SoftHSM2 (and several HSMs) have no
            # CKM_ECDSA_SHA256, while every token supports raw ECDSA.
            use_raw_mechanism=isinstance(certificate.public_key(), ec.EllipticCurvePublicKey),
        )
