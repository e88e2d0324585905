"""The platform's own signing certificates, one per service: the stamping log's tree heads
("Chop 用印日志 / stamping log", service ``ledger``) and evidence reports ("Chop 平台 / evidence",
service ``evidence``).

What they sign are statements by the platform, not by a company or a person, so each is signed
with a service certificate from the platform CA: issued the first time it is needed, then found
again in the CA's index (kind ``service``) and reused until it is revoked or near its end. Keys
stay in the CA's custody like every other key; only a signer leaves this module.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

RENEW_BEFORE = timedelta(days=30)

_lock = threading.Lock()


def _usable(entry: dict[str, Any], service: str, now: datetime) -> bool:
    if entry.get("kind") != "service" or entry.get("service") != service:
        return False
    return datetime.fromisoformat(entry["not_after"].replace("Z", "+00:00")) > now + RENEW_BEFORE


def service_serial(ca, service: str, name: str) -> int:
    """The serial of ``service``'s certificate, issuing one (named ``name``) when none is still
    usable; newest first. One process at a time issues (two processes racing would issue two
    good certificates, both usable)."""
    with _lock:
        now = datetime.now(UTC)
        found = [
            e
            for e in ca.issued()
            if _usable(e, service, now) and not ca.status(int(e["serial"])).is_revoked
        ]
        if found:
            return int(found[-1]["serial"])
        return ca.issue_service(name, service).serial
