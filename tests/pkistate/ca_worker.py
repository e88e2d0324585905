"""One of the processes of ``test_processes``: issue, revoke and publish CRLs with the platform CA
in the database, then print what it did as JSON.

``python -m tests.pkistate.ca_worker WORKER ROUNDS SHARED_SERIAL SYNC_DIR``, with the test
database in ``DATABASE_URL``. It waits for ``SYNC_DIR/go`` so that all workers start together.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REASONS = ["key_compromise", "superseded", "affiliation_changed", "cessation_of_operation"]


def main(worker: int, rounds: int, shared: int, sync: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chop.settings")
    import django

    django.setup()
    from cryptography import x509

    from chop.seals.issuance import platform_ca

    ca = platform_ca()
    (sync / f"ready-{worker}").touch()
    deadline = time.monotonic() + 60
    while not (sync / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go")
        time.sleep(0.01)

    issued, revoked, crl_numbers, shared_status = [], [], [], None
    for i in range(rounds):
        credential = ca.issue_company(f"并发测试{worker}号有限公司", "9144030071526726XG")
        issued.append(str(credential.serial))
        if i % 2:
            ca.revoke(credential.serial, "superseded")
            revoked.append(str(credential.serial))
        if i == 1:
            status = ca.revoke(shared, REASONS[worker % len(REASONS)])  # every worker does
            shared_status = [status.revoked_at.isoformat(), status.reason]
        crl = x509.load_der_x509_crl(ca.crl())
        crl_numbers.append(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
    json.dump(
        {
            "issued": issued,
            "revoked": revoked,
            "crl_numbers": crl_numbers,
            "shared": shared_status,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
