"""The built-in RFC 3161 time-stamping authority.

The same :class:`TimeStampAuthority` answers two kinds of callers:

* in-process signing (PAdES B-T and up): :class:`LocalTimeStamper` is a pyHanko ``TimeStamper``
  whose request method builds the token locally, so signing needs no HTTP round trip and no
  running server;
* anyone else over HTTP (``python -m chop.pki serve``, or the Django app): :meth:`respond_der`
  turns a DER ``TimeStampReq`` into a DER ``TimeStampResp``.

The token's CMS SignedData is produced by pyHanko's own generic CMS signer (encapsulating the
TSTInfo), which gives us the ESSCertIDv2 signing-certificate attribute RFC 5816 asks for and
works for RSA, ECDSA and PKCS#11 TSA keys alike.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from chop.asyncrun import run_sync

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

    def _tst_info(self, req: tsp.TimeStampReq, when: datetime) -> tsp.TSTInfo:
        info = {
            "version": "v1",
            "policy": tsp.ObjectIdentifier(self.policy),
            "message_imprint": req["message_imprint"],
            # Unique per token (RFC 3161 §2.4.2); 63 random bits need no shared counter between
            # the web workers and the CLI server.
            "serial_number": secrets.randbits(63) | 1,
            "gen_time": core.GeneralizedTime(when),
            "accuracy": tsp.Accuracy({"seconds": self.accuracy_seconds}),
            "ordering": False,
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self.certificate.subject),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"]
        return tsp.TSTInfo(info)

    async def async_respond(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Answer one request: check it, stamp it with the current UTC time, sign."""
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

        # Whole seconds: GeneralizedTime with fractions is allowed, but some validators choke.
        when = datetime.now(UTC).replace(microsecond=0)
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
