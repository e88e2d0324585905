"""Revocation: certificate status, revoking, CRLs and OCSP answers for what the CA issued.

The CA index (a :class:`~chop.pki.storage.CAState`) is the one record of which certificates are
revoked, when and why; the CRLs and OCSP responses here are signed views of it. The issuing CA
speaks for end entities (and the TSA), the root for the issuing CA.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from .custody import PrivateKey
from .errors import PkiError
from .profiles import authority_key_identifier, iso_utc, signature_hash, utc_now
from .storage import CAState

__all__ = [
    "ISSUING_CRL_HOURS",
    "OCSP_VALID_HOURS",
    "REVOCATION_REASONS",
    "ROOT_CRL_DAYS",
    "CertificateStatus",
    "Revocation",
    "reason_flag",
]

ISSUING_CRL_HOURS = 24
ROOT_CRL_DAYS = 30
OCSP_VALID_HOURS = 24

REVOCATION_REASONS: dict[str, x509.ReasonFlags] = {}
for _flag in x509.ReasonFlags:
    if _flag is not x509.ReasonFlags.remove_from_crl:
        REVOCATION_REASONS[_flag.name] = _flag
        REVOCATION_REASONS[_flag.value] = _flag


def reason_flag(reason: str) -> x509.ReasonFlags:
    """The RFC 5280 reason for a name such as ``key_compromise`` (or ``keyCompromise``)."""
    flag = REVOCATION_REASONS.get(reason)
    if flag is None:
        raise PkiError(
            f"unknown revocation reason {reason!r}", code="unknown_revocation_reason", reason=reason
        )
    return flag


@dataclass(frozen=True)
class CertificateStatus:
    """Revocation status as the CA sees it now (``status`` is good, revoked or unknown)."""

    serial: int
    status: str
    revoked_at: datetime | None = None
    reason: str | None = None

    @property
    def is_revoked(self) -> bool:
        return self.status == "revoked"


class Revocation:
    """Status, revocation, CRLs and OCSP over one CA's state.

    ``certificates`` maps the CA roles ("issuing", "root") to their certificates and ``ca_key``
    returns a role's private key; CRLs are cached until the list changes or half their validity
    has passed, because every validation asks for them.
    """

    def __init__(
        self,
        store: CAState,
        certificates: dict[str, x509.Certificate],
        ca_key: Callable[[str], PrivateKey],
    ):
        self.store = store
        self.certificates = certificates
        self._ca_key = ca_key
        self._lock = threading.RLock()
        self._crl_cache: dict[str, tuple[tuple[Any, ...], datetime, bytes]] = {}

    def status(self, serial: int) -> CertificateStatus:
        return self.status_of(serial, self.store.entry(serial))

    @staticmethod
    def status_of(serial: int, entry: dict[str, Any] | None) -> CertificateStatus:
        """The status an index entry (``None``: not issued here) records."""
        if entry is None:
            return CertificateStatus(serial, "unknown")
        if entry.get("status") == "revoked":
            return CertificateStatus(
                serial,
                "revoked",
                datetime.fromisoformat(entry["revoked_at"]),
                entry.get("reason", "unspecified"),
            )
        return CertificateStatus(serial, "good")

    def mark_revoked(self, serial: int, flag: x509.ReasonFlags) -> CertificateStatus:
        """Record the revocation; the first one wins (its time and reason are kept)."""

        entry = self.store.revoke_entry(serial, iso_utc(utc_now()), flag.name)
        return self.status_of(serial, entry)

    def _revoked_by(self, issuer: str) -> list[dict[str, Any]]:
        return self.store.entries(issuer=issuer, status="revoked")

    def crl(self, issuer: str = "issuing") -> bytes:
        """The current DER CRL of ``issuer`` ("issuing" for end entities, "root" for the CA).

        Re-signed (with a new CRL number) when the revocation list changed or half of the
        validity period passed; otherwise the cached CRL is returned.
        """
        if issuer not in ("issuing", "root"):
            raise ValueError("issuer is 'issuing' or 'root'")
        revoked = self._revoked_by(issuer)
        fingerprint = tuple((e["serial"], e["revoked_at"], e.get("reason")) for e in revoked)
        validity = (
            timedelta(hours=ISSUING_CRL_HOURS)
            if issuer == "issuing"
            else timedelta(days=ROOT_CRL_DAYS)
        )
        now = utc_now()
        with self._lock:
            cached = self._crl_cache.get(issuer)
            if cached and cached[0] == fingerprint and now < cached[1] + validity / 2:
                return cached[2]
            number = self.store.next_crl_number(issuer)
            cert = self.certificates[issuer]
            key = self._ca_key(issuer)
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(cert.subject)
                .last_update(now)
                .next_update(now + validity)
                .add_extension(x509.CRLNumber(number), critical=False)
                .add_extension(authority_key_identifier(cert), critical=False)
            )
            for e in revoked:
                rc = (
                    x509.RevokedCertificateBuilder()
                    .serial_number(int(e["serial"]))
                    .revocation_date(datetime.fromisoformat(e["revoked_at"]))
                )
                reason = REVOCATION_REASONS[e.get("reason", "unspecified")]
                if reason is not x509.ReasonFlags.unspecified:
                    rc = rc.add_extension(x509.CRLReason(reason), critical=False)
                builder = builder.add_revoked_certificate(rc.build())
            der = builder.sign(key, signature_hash(key)).public_bytes(serialization.Encoding.DER)
            self._crl_cache[issuer] = (fingerprint, now, der)
            return der

    def ocsp_respond(self, request_der: bytes) -> bytes:
        """Answer a DER OCSP request for any certificate this CA issued (RFC 6960).

        The issuing CA answers for end entities, the root for the issuing CA; both sign their
        responses directly, so no delegated responder certificate is needed.
        """
        try:
            req = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return _ocsp_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        responder = None
        for which in ("issuing", "root"):
            cert = self.certificates[which]
            if (
                _key_hash(cert, req.hash_algorithm) == req.issuer_key_hash
                and _name_hash(cert, req.hash_algorithm) == req.issuer_name_hash
            ):
                responder = (which, cert)
                break
        if responder is None:
            return _ocsp_error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        which, issuer_cert = responder
        entry = self.store.entry(req.serial_number)
        now = utc_now()
        revoked_at = reason = None
        if entry is None or entry.get("issuer") != which:
            cert_status = ocsp.OCSPCertStatus.UNKNOWN
        elif entry.get("status") == "revoked":
            cert_status = ocsp.OCSPCertStatus.REVOKED
            revoked_at = datetime.fromisoformat(entry["revoked_at"])
            reason = REVOCATION_REASONS[entry.get("reason", "unspecified")]
        else:
            cert_status = ocsp.OCSPCertStatus.GOOD
        # Answer by the CertID the client sent (not a re-derived one), so clients that hash
        # with SHA-1 or SHA-256 both find their response.
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=req.issuer_name_hash,
                issuer_key_hash=req.issuer_key_hash,
                serial_number=req.serial_number,
                algorithm=req.hash_algorithm,
                cert_status=cert_status,
                this_update=now,
                next_update=now + timedelta(hours=OCSP_VALID_HOURS),
                revocation_time=revoked_at,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer_cert)
        )
        for ext in req.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                builder = builder.add_extension(ext.value, critical=False)
        key = self._ca_key(which)
        return builder.sign(key, signature_hash(key)).public_bytes(serialization.Encoding.DER)


def _key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    from asn1crypto import keys as asn1_keys

    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    h = hashes.Hash(algorithm)
    h.update(asn1_keys.PublicKeyInfo.load(spki)["public_key"].contents[1:])
    return h.finalize()


def _name_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(cert.subject.public_bytes())
    return h.finalize()


def _ocsp_error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )
