"""Signed tree heads: what the log commits to, signed by the platform and timestamped by a TSA.

A head is ``(tree_size, root_hash, timestamp)``. Its canonical bytes (:meth:`TreeHead.to_sign`)
are what both the head signature and the RFC 3161 timestamp token cover, so the token proves the
head existed at the TSA's time, and the signature proves the platform's log published it.

Signing takes a callable (bytes in, signature out): the app signs with a platform key held by
the CA's custody, and this engine never sees a private key. Checking needs only certificates:
:func:`check_signature`, :func:`check_timestamp` and :func:`check_chain` are what the offline
verifier runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

__all__ = [
    "HEAD_PREFIX",
    "TreeHead",
    "VerificationFailure",
    "canonical_json",
    "check_chain",
    "check_signature",
    "check_timestamp",
    "fingerprint",
    "timestamp_request",
    "token_from_response",
]

HEAD_PREFIX = b"chop-ledger-tree-head/v1\n"

Signer = Callable[[bytes], bytes]


class VerificationFailure(Exception):
    """A signature, token or chain does not check out; the message says which and why."""


def canonical_json(value: object) -> bytes:
    """The one byte string a JSON value hashes as: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class TreeHead:
    tree_size: int
    root_hash: bytes
    timestamp: datetime
    signature: bytes = b""
    tsa_token: bytes = b""  # DER ContentInfo (RFC 3161 TimeStampToken) over to_sign()

    def to_sign(self) -> bytes:
        """The canonical bytes the signature and the timestamp token cover."""
        return HEAD_PREFIX + canonical_json(
            {
                "root_hash": self.root_hash.hex(),
                "timestamp": _iso(self.timestamp),
                "tree_size": self.tree_size,
            }
        )

    def signed(self, sign: Signer) -> TreeHead:
        return TreeHead(self.tree_size, self.root_hash, self.timestamp, sign(self.to_sign()))

    def with_token(self, token: bytes) -> TreeHead:
        return TreeHead(self.tree_size, self.root_hash, self.timestamp, self.signature, token)

    def to_json(self) -> dict:
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": _iso(self.timestamp),
            "signature": base64.b64encode(self.signature).decode(),
            "tsa_token": base64.b64encode(self.tsa_token).decode(),
        }

    @classmethod
    def from_json(cls, data: dict) -> TreeHead:
        stamp = datetime.strptime(data["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return cls(
            int(data["tree_size"]),
            bytes.fromhex(data["root_hash"]),
            stamp,
            base64.b64decode(data.get("signature") or ""),
            base64.b64decode(data.get("tsa_token") or ""),
        )


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _verify_with(
    cert: x509.Certificate, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm
) -> None:
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            raise VerificationFailure(f"unsupported key type {type(key).__name__}")
    except InvalidSignature as exc:
        raise VerificationFailure("the signature does not match") from exc


def check_signature(head: TreeHead, cert: x509.Certificate) -> None:
    """The head's signature verifies with ``cert``'s key (SHA-256, PKCS#1 v1.5 or ECDSA)."""
    if not head.signature:
        raise VerificationFailure("the head is not signed")
    _verify_with(cert, head.signature, head.to_sign(), hashes.SHA256())


def check_chain(
    cert: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    root: x509.Certificate,
    at: datetime,
) -> None:
    """``cert`` chains through ``intermediates`` to ``root``, each valid at ``at``."""
    chain = [cert]
    current = cert
    pool = list(intermediates)
    for _ in range(8):
        if current.issuer == root.subject:
            try:
                current.verify_directly_issued_by(root)
            except (ValueError, TypeError, InvalidSignature) as exc:
                raise VerificationFailure(
                    f"{current.subject.rfc4514_string()} is not signed by the trusted root"
                ) from exc
            chain.append(root)
            break
        parent = next((c for c in pool if c.subject == current.issuer), None)
        if parent is None:
            raise VerificationFailure(
                f"no issuer for {current.subject.rfc4514_string()} leads to the trusted root"
            )
        try:
            current.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise VerificationFailure(
                f"{current.subject.rfc4514_string()} is not signed by its issuer"
            ) from exc
        chain.append(parent)
        current = parent
    else:
        raise VerificationFailure("the certificate chain is too long")
    for c in chain:
        if not c.not_valid_before_utc <= at <= c.not_valid_after_utc:
            raise VerificationFailure(f"{c.subject.rfc4514_string()} was not valid at {_iso(at)}")


# ------------------------------------------------------------------ RFC 3161
def timestamp_request(data: bytes) -> tuple[bytes, int]:
    """A DER ``TimeStampReq`` over SHA-256 of ``data`` asking for the TSA's certificate,
    and its nonce."""
    nonce = secrets.randbits(63)
    req = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": hashlib.sha256(data).digest(),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    return req.dump(), nonce


def token_from_response(response_der: bytes, nonce: int) -> bytes:
    """The DER timestamp token from a TSA's response, refused unless granted with our nonce."""
    resp = tsp.TimeStampResp.load(response_der)
    status = resp["status"]["status"].native
    if status not in ("granted", "granted_with_mods"):
        raise VerificationFailure(f"the TSA refused the request ({status})")
    token = resp["time_stamp_token"]
    info = token["content"]["encap_content_info"]["content"].parsed
    if info["nonce"].native != nonce:
        raise VerificationFailure("the TSA answered another request (nonce)")
    return bytes(token.dump())


_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def check_timestamp(
    token_der: bytes, data: bytes, extra_certs: Sequence[x509.Certificate] = ()
) -> tuple[datetime, x509.Certificate]:
    """Check an RFC 3161 token over ``data``: its imprint, its CMS signature and that the signer
    is a time-stamping certificate. Returns the TSA's time and certificate (the caller chains it)."""
    if not token_der:
        raise VerificationFailure("there is no timestamp token")
    try:
        content = cms.ContentInfo.load(token_der)
        signed = content["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise VerificationFailure("the token does not hold a TSTInfo")
        tst_bytes = bytes(encap["content"].contents)
        info = tsp.TSTInfo.load(tst_bytes)
        imprint = info["message_imprint"]
        algo = imprint["hash_algorithm"]["algorithm"].native
        if algo not in _HASHES:
            raise VerificationFailure(f"unsupported imprint hash {algo}")
        if imprint["hashed_message"].native != hashlib.new(algo, data).digest():
            raise VerificationFailure("the token was issued for other data than this head")
        gen_time: datetime = info["gen_time"].native
        (signer_info,) = list(signed["signer_infos"])
        sid = signer_info["sid"]
        certs = [
            x509.load_der_x509_certificate(c.chosen.dump())
            for c in signed["certificates"] or []
            if c.name == "certificate"
        ] + list(extra_certs)
        cert = _find_signer(sid, certs)
        digest_algo = signer_info["digest_algorithm"]["algorithm"].native
        if digest_algo not in _HASHES:
            raise VerificationFailure(f"unsupported digest {digest_algo}")
        attrs = signer_info["signed_attrs"]
        digests = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
        if digests != [hashlib.new(digest_algo, tst_bytes).digest()]:
            raise VerificationFailure("the token's message digest does not match its content")
        signed_bytes = b"\x31" + attrs.dump()[1:]  # signed over as a SET OF, not [0] IMPLICIT
        sig_algo = signer_info["signature_algorithm"].signature_algo
        if sig_algo not in ("rsassa_pkcs1v15", "ecdsa"):
            raise VerificationFailure(f"unsupported signature algorithm {sig_algo}")
        _verify_with(cert, signer_info["signature"].native, signed_bytes, _HASHES[digest_algo]())
    except VerificationFailure:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise VerificationFailure(f"the timestamp token is malformed ({exc})") from exc
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise VerificationFailure("the token's signer is not a time-stamping authority") from exc
    if x509.ExtendedKeyUsageOID.TIME_STAMPING not in eku:
        raise VerificationFailure("the token's signer is not a time-stamping authority")
    return gen_time.astimezone(UTC), cert


def _find_signer(sid: cms.SignerIdentifier, certs: Sequence[x509.Certificate]) -> x509.Certificate:
    if sid.name == "issuer_and_serial_number":
        serial = sid.chosen["serial_number"].native
        issuer = sid.chosen["issuer"].dump()
        for c in certs:
            if c.serial_number == serial and c.issuer.public_bytes() == issuer:
                return c
    else:
        key_id = sid.chosen.native
        for c in certs:
            try:
                ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            except x509.ExtensionNotFound:
                continue
            if ski.digest == key_id:
                return c
    raise VerificationFailure("the token's signing certificate is not in the bundle")
