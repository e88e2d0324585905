"""The seams of the engine: what ``sign`` needs from a signer and from a timestamp authority.

pyHanko's ``Signer`` (``SimpleSigner``, its PKCS#11 signer, the platform CA's signer) and its
``TimeStamper`` (``HTTPTimeStamper``, ``DummyTimeStamper``) satisfy these; naming the few members
Chop uses keeps the engine honest about what it depends on and lets mypy check callers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509

__all__ = ["Signer", "TimeStamper"]


class Signer(Protocol):
    """A signing key with its certificate and chain (``pyhanko.sign.signers.Signer``)."""

    @property
    def signing_cert(self) -> asn1_x509.Certificate | None: ...

    @property
    def cert_registry(self) -> Iterable[asn1_x509.Certificate]: ...

    def get_signature_mechanism_for_digest(
        self, digest_algorithm: str | None
    ) -> algos.SignedDigestAlgorithm: ...

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes: ...


class TimeStamper(Protocol):
    """An RFC 3161 timestamp authority client (``pyhanko.sign.timestamps.TimeStamper``)."""

    async def async_dummy_response(self, md_algorithm: str) -> cms.ContentInfo: ...

    async def async_timestamp(
        self, message_digest: bytes, md_algorithm: str
    ) -> cms.ContentInfo: ...
