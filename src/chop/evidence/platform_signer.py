"""The signer of evidence reports: the platform's ``evidence`` service certificate
(``service_certs``)."""

from __future__ import annotations

from typing import Any

from .service_certs import service_serial

SERVICE = "evidence"
NAME = "Chop 平台 / evidence"


def evidence_serial(ca) -> int:
    """The serial of the evidence certificate, issued when none is still usable."""
    return service_serial(ca, SERVICE, NAME)


def evidence_signer() -> tuple[Any, Any]:
    """(pyHanko signer, the platform CA) for signing an evidence report."""
    from chop.seals.issuance import platform_ca

    ca = platform_ca()
    return ca.signer(evidence_serial(ca)), ca
