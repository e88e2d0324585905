"""The platform's own signing certificate for evidence reports ("Chop 平台 / evidence").

An evidence report is a statement by the platform, not by a company or a person, so it is signed
with a service certificate from the platform CA: issued the first time a report is signed, then
found again in the CA's index (kind ``service``, service ``evidence``) and reused until it is
revoked or near its end. Its key stays in the CA's custody like every other key; only a pyHanko
signer leaves this module.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

SERVICE = "evidence"
NAME = "Chop 平台 / evidence"
RENEW_BEFORE = timedelta(days=30)

_lock = threading.Lock()


def _usable(entry: dict[str, Any], now: datetime) -> bool:
    if entry.get("kind") != "service" or entry.get("service") != SERVICE:
        return False
    return datetime.fromisoformat(entry["not_after"].replace("Z", "+00:00")) > now + RENEW_BEFORE


def evidence_serial(ca) -> int:
    """The serial of the evidence certificate, issuing one when there is none still usable
    (newest first; in one process at a time — two processes racing issue two good
    certificates, both usable)."""
    with _lock:
        now = datetime.now(UTC)
        found = [
            e for e in ca.issued() if _usable(e, now) and not ca.status(int(e["serial"])).is_revoked
        ]
        if found:
            return int(found[-1]["serial"])
        return ca.issue_service(NAME, SERVICE).serial


def evidence_signer() -> tuple[Any, Any]:
    """(pyHanko signer, the platform CA) for signing an evidence report."""
    from chop.seals.issuance import platform_ca

    ca = platform_ca()
    return ca.signer(evidence_serial(ca)), ca
