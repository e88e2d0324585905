"""The platform's tree-head signing certificate ("Chop 用印日志 / ledger").

A tree head is a statement by the platform's log, not by a company or a person, so it is signed
with a service certificate from the platform CA: issued the first time a head is published, then
found again in the CA's index (kind ``service``, service ``ledger``) and reused until it is
revoked or near its end. Its key stays in the CA's custody; only a signing callable and the
certificates leave this module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chop.asyncrun import run_sync

SERVICE = "ledger"
NAME = "Chop 用印日志 / stamping log"
RENEW_BEFORE = timedelta(days=30)

_lock = threading.Lock()


def _usable(entry: dict[str, Any], now: datetime) -> bool:
    if entry.get("kind") != "service" or entry.get("service") != SERVICE:
        return False
    return datetime.fromisoformat(entry["not_after"].replace("Z", "+00:00")) > now + RENEW_BEFORE


def log_serial(ca) -> int:
    """The serial of the log's certificate, issuing one when none is still usable. Called under
    the sequencer's lock, so two publishers never issue two at once."""
    with _lock:
        now = datetime.now(UTC)
        found = [
            e for e in ca.issued() if _usable(e, now) and not ca.status(int(e["serial"])).is_revoked
        ]
        if found:
            return int(found[-1]["serial"])
        return ca.issue_service(NAME, SERVICE).serial


def head_signer() -> tuple[Callable[[bytes], bytes], int, Any]:
    """(sign: bytes → signature, the certificate's serial, the platform CA)."""
    from chop.seals.issuance import platform_ca

    ca = platform_ca()
    serial = log_serial(ca)
    signer = ca.signer(serial)

    def sign(data: bytes) -> bytes:
        return run_sync(signer.async_sign_raw(data, "sha256"))

    return sign, serial, ca
