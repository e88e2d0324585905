"""pyhanko_certvalidator fetchers that ask the platform CA directly instead of the network.

The CRL and OCSP URLs in our certificates point at ``SITE_URL``, which may not be reachable from
the process that signs (tests, a worker without the web server running, an offline box). These
fetchers answer the same questions in-process from :class:`chop.pki.PlatformCA`, so PAdES B-LT
signing can embed fresh revocation data and hard-fail validation works without HTTP. Anything not
issued by this CA is refused rather than fetched: the platform validates its own certificates.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from asn1crypto import cms, crl, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as c_ocsp
from pyhanko_certvalidator.errors import CRLFetchError, OCSPFetchError
from pyhanko_certvalidator.fetchers.api import (
    CertificateFetcher,
    CRLFetcher,
    Fetchers,
    OCSPFetcher,
)

if TYPE_CHECKING:
    from .ca import PlatformCA

__all__ = ["in_process_fetchers"]

Cert: TypeAlias = asn1_x509.Certificate | cms.AttributeCertificateV2


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class _Issuers:
    """Maps an asn1crypto certificate to the CA role ("issuing"/"root") that issued it."""

    def __init__(self, ca: PlatformCA):
        self.ca = ca
        self.by_subject = {
            _asn1(ca.issuing_certificate).subject.dump(): ("issuing", ca.issuing_certificate),
            _asn1(ca.root_certificate).subject.dump(): ("root", ca.root_certificate),
        }

    def issuer_of(self, cert: Any) -> tuple[str, x509.Certificate] | None:
        if not isinstance(cert, asn1_x509.Certificate):
            return None
        return self.by_subject.get(cert.issuer.dump())


class _OCSPFetcher(OCSPFetcher):
    def __init__(self, issuers: _Issuers):
        self.issuers = issuers
        self._responses: dict[str, ocsp.OCSPResponse] = {}

    async def fetch(self, cert: Cert, authority: Any) -> ocsp.OCSPResponse:
        found = self.issuers.issuer_of(cert)
        if found is None:
            raise OCSPFetchError("not issued by the platform CA; no OCSP responder in-process")
        _role, issuer = found
        assert isinstance(cert, asn1_x509.Certificate)
        request = (
            c_ocsp.OCSPRequestBuilder()
            .add_certificate(x509.load_der_x509_certificate(cert.dump()), issuer, hashes.SHA256())
            .build()
        )
        response = ocsp.OCSPResponse.load(
            self.issuers.ca.ocsp_respond(request.public_bytes(serialization.Encoding.DER))
        )
        if response["response_status"].native != "successful":
            raise OCSPFetchError(f"OCSP responder said {response['response_status'].native}")
        self._responses[cert.issuer_serial] = response
        return response

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return list(self._responses.values())

    def fetched_responses_for_cert(self, cert: Cert) -> Iterable[ocsp.OCSPResponse]:
        if not isinstance(cert, asn1_x509.Certificate):
            return []
        response = self._responses.get(cert.issuer_serial)
        return [response] if response is not None else []


class _CRLFetcher(CRLFetcher):
    def __init__(self, issuers: _Issuers):
        self.issuers = issuers
        self._by_role: dict[str, crl.CertificateList] = {}
        self._fetched_for: dict[bytes, str] = {}

    async def fetch(self, cert: Cert, *, use_deltas: Any = None) -> Iterable[crl.CertificateList]:
        found = self.issuers.issuer_of(cert)
        if found is None:
            raise CRLFetchError("not issued by the platform CA; no CRL in-process")
        role, _issuer = found
        self._by_role[role] = crl.CertificateList.load(self.issuers.ca.crl(role))
        assert isinstance(cert, asn1_x509.Certificate)
        self._fetched_for[cert.dump()] = role
        return [self._by_role[role]]

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return list(self._by_role.values())

    def fetched_crls_for_cert(self, cert: Cert) -> Iterable[crl.CertificateList]:
        role = self._fetched_for[cert.dump()]  # KeyError tells the caller to fetch()
        return [self._by_role[role]]


class _CertFetcher(CertificateFetcher):
    def __init__(self, issuers: _Issuers):
        self.issuers = issuers
        self._fetched: dict[bytes, asn1_x509.Certificate] = {}

    async def _issuer_by_name(self, name: Any) -> AsyncGenerator[asn1_x509.Certificate, None]:
        found = self.issuers.by_subject.get(name.dump())
        if found is not None:
            cert = _asn1(found[1])
            self._fetched[cert.dump()] = cert
            yield cert

    def fetch_cert_issuers(self, cert: Cert) -> AsyncGenerator[asn1_x509.Certificate, None]:
        if isinstance(cert, asn1_x509.Certificate):
            return self._issuer_by_name(cert.issuer)
        return self._nothing()

    def fetch_crl_issuers(
        self, certificate_list: Any
    ) -> AsyncGenerator[asn1_x509.Certificate, None]:
        return self._issuer_by_name(certificate_list["tbs_cert_list"]["issuer"])

    @staticmethod
    async def _nothing() -> AsyncGenerator[asn1_x509.Certificate, None]:
        return
        yield  # pragma: no cover

    def fetched_certs(self) -> Iterable[asn1_x509.Certificate]:
        return list(self._fetched.values())


def in_process_fetchers(ca: PlatformCA) -> Fetchers:
    """Fetchers answering CRL, OCSP and issuer-certificate requests from ``ca`` directly."""
    issuers = _Issuers(ca)
    return Fetchers(
        ocsp_fetcher=_OCSPFetcher(issuers),
        crl_fetcher=_CRLFetcher(issuers),
        cert_fetcher=_CertFetcher(issuers),
    )
