"""The signer of the stamping log's tree heads: the platform's ``ledger`` service certificate
(``service_certs``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chop.asyncrun import run_sync

from .service_certs import service_serial

SERVICE = "ledger"
NAME = "Chop 用印日志 / stamping log"


def log_serial(ca) -> int:
    """The serial of the log's certificate (called under the sequencer's lock)."""
    return service_serial(ca, SERVICE, NAME)


def head_signer() -> tuple[Callable[[bytes], bytes], int, Any]:
    """(sign: bytes → signature, the certificate's serial, the platform CA)."""
    from chop.seals.issuance import platform_ca

    ca = platform_ca()
    serial = log_serial(ca)
    signer = ca.signer(serial)

    def sign(data: bytes) -> bytes:
        return run_sync(signer.async_sign_raw(data, "sha256"))

    return sign, serial, ca
