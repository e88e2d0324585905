"""The built-in RFC 3161 time-stamping authority.

The same :class:`TimeStampAuthority` answers two kinds of callers:

* in-process signing (PAdES B-T and up): :class:`LocalTimeStamper` is a pyHanko ``TimeStamper``
  whose request method builds the token locally, so signing needs no HTTP round trip and no
  running server;
* anyone else over HTTP (``python -m chop.pki serve``, or the Django app): :meth:`respond_der`
  turns a DER ``TimeStampReq`` into a DER ``TimeStampResp``.

When the TSA key is held in memory (the file custody, RSA PKCS#1 v1.5 or ECDSA), the token is
assembled by :class:`_TokenBuilder` from DER encoded once per authority: certificates, signer
identifier, algorithm identifiers and the static signed attributes (content type, RFC 6211
algorithm protection, the RFC 5816 ESSCertIDv2 signing certificate). A token then costs one
TSTInfo, one SHA-256, one private-key operation and a few byte concatenations (well under a
millisecond plus the signature) instead of ~30 ms of asn1crypto re-encoding. The result has the
same fields and the same signed attributes as the token pyHanko's generic CMS signer produces
(``async_sign_general_data`` encapsulating the TSTInfo), which stays the path for any other key
(PKCS#11, RSASSA-PSS, ...).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from chop.asyncrun import run_sync
from chop.der import tlv as _tlv

__all__ = ["LocalTimeStamper", "TimeStampAuthority", "timestamper_for"]

# Digest algorithms we accept in a MessageImprint, with their output length.
_DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64, "sha3_256": 32, "sha3_512": 64}


class TimeStampResp(tsp.TimeStampResp):
    """RFC 3161 ``TimeStampResp`` with ``timeStampToken`` OPTIONAL, as the RFC has it.

    asn1crypto declares the token mandatory, which makes a rejection impossible to encode.
    """

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _failure(status: str, fail_info: str, text: str) -> tsp.TimeStampResp:
    return TimeStampResp(
        {
            "status": tsp.PKIStatusInfo(
                {
                    "status": tsp.PKIStatus(status),
                    "status_string": tsp.PKIFreeText([text]),
                    "fail_info": tsp.PKIFailureInfo({fail_info}),
                }
            )
        }
    )


def _der_uint(n: int) -> bytes:
    """DER INTEGER for n >= 0 (a leading zero byte when the top bit would read as a sign)."""
    return _tlv(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big"))


_OID_TST_INFO = core.ObjectIdentifier("1.2.840.113549.1.9.16.1.4").dump()
_OID_SIGNED_DATA = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()
_OID_MESSAGE_DIGEST = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()
_STATUS_GRANTED = tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")}).dump()
_INT_1 = b"\x02\x01\x01"
_INT_3 = b"\x02\x01\x03"  # SignedData v3: the encapsulated content is not id-data (RFC 5652 §5.1)


class _TokenBuilder:
    """The parts of a token that never change for one TSA, DER-encoded once.

    Built only for a signer whose key is in memory and signs SHA-256 with RSA PKCS#1 v1.5 or
    ECDSA (:meth:`for_signer` answers None otherwise, and the authority keeps pyHanko's path).
    The structure mirrors what ``Signer.async_sign_general_data(tst_info, "sha256",
    detached=False)`` produces, field by field.
    """

    def __init__(
        self,
        signer: Signer,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        sig_algo: algos.SignedDigestAlgorithm,
        policy: str,
        accuracy_seconds: int,
    ) -> None:
        cert: asn1_x509.Certificate = signer.signing_cert
        self._key = key
        digest_algo = algos.DigestAlgorithm({"algorithm": "sha256"})
        # TSTInfo: version and policy lead, accuracy follows genTime (ordering is FALSE, the
        # DEFAULT, so DER leaves it out), the TSA's name closes.
        self._tst_head = _INT_1 + core.ObjectIdentifier(policy).dump()
        self._tst_accuracy = tsp.Accuracy({"seconds": accuracy_seconds}).dump()
        tsa_name = asn1_x509.GeneralName(name="directory_name", value=cert.subject)
        self._tst_tail = _tlv(0xA0, tsa_name.dump())
        # signed attributes other than the message digest (as pyHanko's generic CMS spec has
        # them: content type, RFC 5816 ESSCertIDv2, RFC 6211 algorithm protection)
        self._static_attrs = [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}).dump(),
            cms.CMSAttribute(
                {"type": "signing_certificate_v2", "values": [as_signing_certificate_v2(cert)]}
            ).dump(),
            cms.CMSAttribute(
                {
                    "type": "cms_algorithm_protection",
                    "values": [
                        cms.CMSAlgorithmProtection(
                            {"digest_algorithm": digest_algo, "signature_algorithm": sig_algo}
                        )
                    ],
                }
            ).dump(),
        ]
        sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": cert.issuer, "serial_number": cert.serial_number}
                )
            }
        )
        self._sid = sid.dump()
        self._digest_algo = digest_algo.dump()
        self._digest_algos = _tlv(0x31, self._digest_algo)
        self._sig_algo = sig_algo.dump()
        # the certificates pyHanko would embed: the registry (roots only if the signer embeds
        # them) and the signer's own, once each, in DER SET OF order
        ders = {cert.dump()}
        embed_roots = getattr(signer, "embed_roots", True)
        for c in getattr(signer, "cert_registry", None) or ():
            if embed_roots or c.self_signed == "no":
                ders.add(c.dump())
        self._certificates = _tlv(0xA0, b"".join(sorted(ders)))

    @classmethod
    def for_signer(cls, signer: Signer, policy: str, accuracy_seconds: int) -> _TokenBuilder | None:
        """A builder when ``signer`` holds its key in memory and signs as we can, else None."""
        if getattr(signer, "attribute_certs", None):
            return None
        info = getattr(signer, "signing_key", None)
        if info is None or not hasattr(info, "dump"):
            return None  # PKCS#11 and other remote keys
        try:
            key = serialization.load_der_private_key(info.dump(), password=None)
            sig_algo = signer.get_signature_mechanism_for_digest("sha256")
        except Exception:
            return None
        mechanism = sig_algo["algorithm"].native
        if isinstance(key, rsa.RSAPrivateKey) and mechanism == "sha256_rsa":
            return cls(signer, key, sig_algo, policy, accuracy_seconds)
        if isinstance(key, ec.EllipticCurvePrivateKey) and mechanism == "sha256_ecdsa":
            return cls(signer, key, sig_algo, policy, accuracy_seconds)
        return None

    def tst_info(
        self, imprint_der: bytes, serial: int, when: datetime, nonce_der: bytes | None
    ) -> bytes:
        """DER TSTInfo; ``imprint_der`` and ``nonce_der`` are the request's own, copied."""
        gen_time = _tlv(0x18, when.strftime("%Y%m%d%H%M%SZ").encode("ascii"))
        return _tlv(
            0x30,
            self._tst_head
            + imprint_der
            + _der_uint(serial)
            + gen_time
            + self._tst_accuracy
            + (nonce_der or b"")
            + self._tst_tail,
        )

    def signed_attrs(self, tst_der: bytes) -> bytes:
        """DER of the signed attributes as the SET OF that is signed."""
        digest = hashlib.sha256(tst_der).digest()
        md = _tlv(0x30, _OID_MESSAGE_DIGEST + _tlv(0x31, _tlv(0x04, digest)))
        return _tlv(0x31, b"".join(sorted([*self._static_attrs, md])))

    def token(self, tst_der: bytes, cert_req: bool) -> bytes:
        """DER ContentInfo(SignedData) over the TSTInfo, certificates only when asked for."""
        attrs = self.signed_attrs(tst_der)
        key = self._key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            signature = key.sign(attrs, ec.ECDSA(hashes.SHA256()))
        else:
            signature = key.sign(attrs, PKCS1v15(), hashes.SHA256())
        signer_info = _tlv(
            0x30,
            _INT_1
            + self._sid
            + self._digest_algo
            + b"\xa0"
            + attrs[1:]  # [0] IMPLICIT SET OF: the same bytes under the context tag
            + self._sig_algo
            + _tlv(0x04, signature),
        )
        encap = _tlv(0x30, _OID_TST_INFO + _tlv(0xA0, _tlv(0x04, tst_der)))
        signed_data = _tlv(
            0x30,
            _INT_3
            + self._digest_algos
            + encap
            + (self._certificates if cert_req else b"")
            + _tlv(0x31, signer_info),
        )
        return _tlv(0x30, _OID_SIGNED_DATA + _tlv(0xA0, signed_data))

    def response(self, tst_der: bytes, cert_req: bool) -> bytes:
        """DER TimeStampResp, status granted."""
        return _tlv(0x30, _STATUS_GRANTED + self.token(tst_der, cert_req))


class TimeStampAuthority:
    """Issues RFC 3161 tokens signed by the TSA key held in ``signer``.

    :param signer: pyHanko signer over the TSA key; its certificate must carry the critical
        ``timeStamping`` EKU, and its certificate registry should hold the chain so relying
        parties can build the path from the token alone.
    :param policy: TSA policy OID written into every TSTInfo.
    """

    def __init__(self, signer: Signer, policy: str, accuracy_seconds: int = 1):
        if signer.signing_cert is None:
            raise ValueError("the TSA signer needs its certificate")
        self.signer = signer
        self.certificate: asn1_x509.Certificate = signer.signing_cert
        self.policy = policy
        self.accuracy_seconds = accuracy_seconds
        # None when the key is not in memory (PKCS#11) or signs otherwise: pyHanko builds then
        self._builder = _TokenBuilder.for_signer(signer, policy, accuracy_seconds)

    def _tst_info(self, req: tsp.TimeStampReq, when: datetime) -> tsp.TSTInfo:
        info = {
            "version": "v1",
            "policy": tsp.ObjectIdentifier(self.policy),
            "message_imprint": req["message_imprint"],
            "serial_number": self._serial(),
            "gen_time": core.GeneralizedTime(when),
            "accuracy": tsp.Accuracy({"seconds": self.accuracy_seconds}),
            "ordering": False,
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self.certificate.subject),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"]
        return tsp.TSTInfo(info)

    def _refusal(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp | None:
        """The rejection for a request this TSA does not stamp, or None."""
        imprint = req["message_imprint"]
        md = imprint["hash_algorithm"]["algorithm"].native
        if req["version"].native not in (1, "v1"):
            return _failure("rejection", "bad_request", "only version 1 requests are supported")
        if md not in _DIGEST_SIZES:
            return _failure("rejection", "bad_alg", f"unsupported hash algorithm {md}")
        if len(imprint["hashed_message"].native) != _DIGEST_SIZES[md]:
            return _failure("rejection", "bad_data_format", "message imprint has the wrong length")
        if req["req_policy"].native not in (None, self.policy):
            return _failure("rejection", "unaccepted_policy", f"this TSA only uses {self.policy}")
        if req["extensions"].native:
            return _failure("rejection", "unaccepted_extension", "no extensions are supported")
        return None

    @staticmethod
    def _now() -> datetime:
        # Whole seconds: GeneralizedTime with fractions is allowed, but some validators choke.
        return datetime.now(UTC).replace(microsecond=0)

    @staticmethod
    def _serial() -> int:
        # Unique per token (RFC 3161 §2.4.2); 63 random bits need no shared counter between
        # the web workers and the CLI server.
        return secrets.randbits(63) | 1

    def _fast_response_der(self, req: tsp.TimeStampReq) -> bytes:
        """DER TimeStampResp for an accepted request, from the pre-encoded parts."""
        assert self._builder is not None
        nonce = req["nonce"]
        tst_der = self._builder.tst_info(
            req["message_imprint"].dump(),
            self._serial(),
            self._now(),
            nonce.dump() if nonce.native is not None else None,
        )
        return self._builder.response(tst_der, bool(req["cert_req"].native))

    async def async_respond(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Answer one request: check it, stamp it with the current UTC time, sign."""
        refusal = self._refusal(req)
        if refusal is not None:
            return refusal
        if self._builder is not None:
            return TimeStampResp.load(self._fast_response_der(req))
        return await self._pyhanko_respond(req)

    async def _pyhanko_respond(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """The token through pyHanko's generic CMS signer (any key, ~30 ms)."""
        when = self._now()
        tst_info = self._tst_info(req, when)
        token = await self.signer.async_sign_general_data(
            cms.EncapsulatedContentInfo(
                {
                    "content_type": "tst_info",
                    "content": cms.ParsableOctetString(tst_info.dump()),
                }
            ),
            "sha256",
            detached=False,
        )
        if not req["cert_req"].native:
            # RFC 3161 §2.4.1: without certReq the certificates field must be absent. The
            # certificates are outside the signed attributes, so dropping them keeps it valid.
            signed = token["content"]
            token = cms.ContentInfo(
                {
                    "content_type": "signed_data",
                    "content": cms.SignedData(
                        {
                            "version": signed["version"],
                            "digest_algorithms": signed["digest_algorithms"],
                            "encap_content_info": signed["encap_content_info"],
                            "signer_infos": signed["signer_infos"],
                        }
                    ),
                }
            )
        return TimeStampResp(
            {
                "status": tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")}),
                "time_stamp_token": token,
            }
        )

    def respond_der(self, request_der: bytes) -> bytes:
        """DER ``TimeStampReq`` in, DER ``TimeStampResp`` out (for the HTTP endpoint)."""
        try:
            req = tsp.TimeStampReq.load(request_der)
            req.native  # force a full parse so malformed input is rejected here  # noqa: B018
        except (ValueError, TypeError) as exc:
            return _failure("rejection", "bad_data_format", f"malformed request: {exc}").dump()
        if self._builder is not None:  # no event loop needed for the in-memory key
            refusal = self._refusal(req)
            return refusal.dump() if refusal is not None else self._fast_response_der(req)
        return run_sync(self.async_respond(req)).dump()


class LocalTimeStamper(TimeStamper):
    """pyHanko ``TimeStamper`` backed by the in-process :class:`TimeStampAuthority`."""

    def __init__(self, authority: TimeStampAuthority, include_nonce: bool = True):
        super().__init__(include_nonce=include_nonce)
        self.authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return await self.authority.async_respond(req)


def timestamper_for(url: str | None, ca: object) -> TimeStamper:
    """The configured TSA: an external one by URL, otherwise the platform's built-in one.

    ``ca`` is a :class:`chop.pki.PlatformCA` (typed loosely to avoid an import cycle).
    """
    if url:
        return HTTPTimeStamper(url)
    return ca.timestamper()  # type: ignore[attr-defined]
