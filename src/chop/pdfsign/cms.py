"""A lean CMS (PAdES) signature builder for one signer, prepared once and reused.

pyHanko's generic path rebuilds and re-validates everything per signature and reloads the
private key on every ``sign_raw``; for a platform that signs with the same few keys all day that
is most of the time spent. Here the certificates, the ESS signing-certificate-v2 attribute and
the private key are prepared once per signer object; a signature is then one SHA-256, one RSA
(or ECDSA) operation and a small DER assembly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

from chop.asyncrun import run_sync
from chop.der import tlv as _tlv

from .errors import SignerError
from .protocols import Signer, TimeStamper

__all__ = ["SignerProfile", "profile_for", "token_gen_time"]

_PROFILES: weakref.WeakKeyDictionary[Any, SignerProfile] = weakref.WeakKeyDictionary()


class SignerProfile:
    """Everything about a pyHanko ``Signer`` that does not change between signatures."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        cert: asn1_x509.Certificate | None = getattr(signer, "signing_cert", None)
        if cert is None:
            raise SignerError("the signer has no certificate", code="signer_no_certificate")
        self.cert = cert
        certs = [cert]
        registry = getattr(signer, "cert_registry", None) or ()
        for c in registry:
            # the root is left out: a verifier must already hold it as a trust anchor, and every
            # certificate in the CMS costs validators a round of issuer matching
            if c.dump() != cert.dump() and not c.self_issued:
                certs.append(c)
        self.certs = certs
        try:
            self.sig_algo = signer.get_signature_mechanism_for_digest("sha256")
        except Exception as exc:
            raise SignerError(
                f"the signer's key cannot sign with SHA-256 ({exc})",
                code="signer_no_sha256",
                detail=str(exc),
            ) from exc
        self.mechanism = self.sig_algo["algorithm"].native
        self._key = self._load_fast_key(signer)
        ess = tsp.SigningCertificateV2(
            {
                "certs": [
                    tsp.ESSCertIDv2(
                        {
                            "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                            "cert_hash": hashlib.sha256(cert.dump()).digest(),
                            "issuer_serial": tsp.IssuerSerial(
                                {
                                    "issuer": [
                                        asn1_x509.GeneralName(
                                            name="directory_name", value=cert.issuer
                                        )
                                    ],
                                    "serial_number": cert.serial_number,
                                }
                            ),
                        }
                    )
                ]
            }
        )
        self._static_attrs = [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
        ]
        self._sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": cert.issuer, "serial_number": cert.serial_number}
                )
            }
        )
        self._static_attr_ders = [a.dump() for a in self._static_attrs]
        self._sid_der = self._sid.dump()
        self._digest_algo_der = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        self._sig_algo_der = self.sig_algo.dump()
        self._certs_der = _tlv(0xA0, b"".join(c.dump() for c in certs))
        # an upper bound for the DER size of the CMS, for the /Contents placeholder
        probe_sig = b"\xff" * self._max_signature_len()
        self.base_size = len(self.assemble(b"\x00" * 32, probe_sig, None)) + 32

    def _max_signature_len(self) -> int:
        pub = self.cert.public_key
        if pub.algorithm == "rsa":
            return (pub.bit_size + 7) // 8
        return 2 * ((pub.bit_size + 7) // 8) + 16

    @staticmethod
    def _load_fast_key(signer: Signer) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None:
        """The private key as a ``cryptography`` object when the signer holds it in memory."""
        info = getattr(signer, "signing_key", None)
        if info is None or not hasattr(info, "dump"):
            return None
        try:
            key = serialization.load_der_private_key(info.dump(), password=None)
        except Exception:
            return None
        return key if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)) else None

    def _attrs_content(self, digest: bytes, extra: bytes | None = None) -> bytes:
        """The DER contents of the signed attributes (a SET OF, sorted as DER requires).

        ``extra`` is one more attribute's DER, already encoded (the act's provenance)."""
        md = _tlv(0x30, _OID_MESSAGE_DIGEST + _tlv(0x31, _tlv(0x04, digest)))
        parts = [*self._static_attr_ders, md]
        if extra:
            parts.append(extra)
        return b"".join(sorted(parts))

    def signed_attrs(self, digest: bytes, extra: bytes | None = None) -> cms.CMSAttributes:
        """The signed attributes as asn1crypto objects (for inspection and tests)."""
        return cms.CMSAttributes.load(_tlv(0x31, self._attrs_content(digest, extra)))

    def sign_raw(self, data: bytes) -> bytes:
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey) and self.mechanism in (
            "rsassa_pkcs1v15",
            "sha256_rsa",
        ):
            return key.sign(data, PKCS1v15(), hashes.SHA256())
        if isinstance(key, ec.EllipticCurvePrivateKey) and self.mechanism in (
            "ecdsa",
            "sha256_ecdsa",
        ):
            return key.sign(data, ec.ECDSA(hashes.SHA256()))
        try:
            return run_sync(self.signer.async_sign_raw(data, "sha256"))
        except Exception as exc:
            raise SignerError(
                f"the signing key could not sign ({exc})", code="signer_failed", detail=str(exc)
            ) from exc

    def assemble(
        self, digest: bytes, signature: bytes, timestamp_token, extra: bytes | None = None
    ) -> bytes:
        """DER ContentInfo(SignedData), assembled from precomputed parts.

        asn1crypto re-serialises every certificate each time a structure containing them is
        dumped (about 40 ms for a three-certificate chain); the parts never change, so they
        are encoded once and concatenated here.
        """
        signer_info = (
            _INT_1
            + self._sid_der
            + self._digest_algo_der
            + _tlv(0xA0, self._attrs_content(digest, extra))
            + self._sig_algo_der
            + _tlv(0x04, signature)
        )
        if timestamp_token is not None:
            token_der = (
                timestamp_token if isinstance(timestamp_token, bytes) else timestamp_token.dump()
            )
            signer_info += _tlv(0xA1, _tlv(0x30, _OID_SIGNATURE_TIMESTAMP + _tlv(0x31, token_der)))
        signed_data = _tlv(
            0x30,
            _INT_1
            + _tlv(0x31, self._digest_algo_der)
            + _tlv(0x30, _OID_DATA)
            + self._certs_der
            + _tlv(0x31, _tlv(0x30, signer_info)),
        )
        return _tlv(0x30, _OID_SIGNED_DATA + _tlv(0xA0, signed_data))

    def sign_digest(
        self,
        digest: bytes,
        timestamper: TimeStamper | None = None,
        extra: bytes | None = None,
    ) -> bytes:
        """The DER CMS for a document digest, timestamped when a TSA is given (PAdES B-T).

        ``extra``: one more signed attribute's DER (``provenance.encode``); the CMS grows by
        its length, which the caller reserves on top of ``base_size``."""
        return self.sign_digest_timed(digest, timestamper, extra)[0]

    def sign_digest_timed(
        self,
        digest: bytes,
        timestamper: TimeStamper | None = None,
        extra: bytes | None = None,
    ) -> tuple[bytes, dt.datetime | None]:
        """``sign_digest``, and the timestamp token's genTime (None without a TSA).

        The stamping record keeps the TSA's time next to the platform's clock; the token is
        already parsed here, so reading its genTime costs nothing on the fast path."""
        attrs_der = _tlv(0x31, self._attrs_content(digest, extra))
        signature = self.sign_raw(attrs_der)
        token = None
        if timestamper is not None:
            sig_digest = hashlib.sha256(signature).digest()
            try:
                token = run_sync(timestamper.async_timestamp(sig_digest, "sha256"))
            except Exception as exc:
                from .errors import PdfSignError

                raise PdfSignError(
                    f"the timestamp authority did not answer ({exc})",
                    code="tsa_unreachable",
                    detail=str(exc),
                ) from exc
        return self.assemble(digest, signature, token, extra), token_gen_time(token)


def token_gen_time(token: Any) -> dt.datetime | None:
    """The genTime of an RFC 3161 timestamp token (a CMS ContentInfo, parsed or DER), or None.

    A token whose TSTInfo cannot be read yields None rather than failing the signature: the
    token itself is embedded unchanged and validators judge it; only the record's copy is lost."""
    if token is None:
        return None
    try:
        info = cms.ContentInfo.load(token) if isinstance(token, bytes) else token
        tst = info["content"]["encap_content_info"]["content"].parsed
        value = tst["gen_time"].native
    except Exception:
        return None
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


_INT_1 = b"\x02\x01\x01"
_OID_DATA = core.ObjectIdentifier("1.2.840.113549.1.7.1").dump()
_OID_SIGNED_DATA = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()
_OID_MESSAGE_DIGEST = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()
_OID_SIGNATURE_TIMESTAMP = core.ObjectIdentifier("1.2.840.113549.1.9.16.2.14").dump()


def profile_for(signer: Signer) -> SignerProfile:
    """The cached profile of ``signer`` (computed on first use)."""
    try:
        prof = _PROFILES.get(signer)
    except TypeError:  # not weak-referenceable: no caching
        return SignerProfile(signer)
    if prof is None:
        prof = SignerProfile(signer)
        _PROFILES[signer] = prof
    return prof
