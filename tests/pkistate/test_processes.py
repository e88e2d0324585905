"""Four processes issue, revoke and publish CRLs with the one platform CA at once (real
processes, each with its own connection to the test database, on SQLite and on PostgreSQL).

Nothing is lost, no serial is recorded twice, a serial revoked by all of them is revoked once,
CRL numbers only grow, and afterwards the platform's CRL and OCSP endpoints agree on every
certificate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.conf import settings
from django.db import connection

from chop.pkistate.models import IssuedCertificate
from chop.seals.issuance import platform_ca

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
ROUNDS = 6


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _run_workers(tmp_path: Path, shared: int) -> list[dict]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CHOP_KEK": settings.CHOP_KEK,
        "CHOP_PKI_DIR": str(tmp_path / "no-ca-here"),  # the database holds the CA
        "SITE_URL": settings.SITE_URL,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.pkistate.ca_worker", str(w), str(ROUNDS), str(shared)]
            + [str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WORKERS)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < WORKERS:
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)
    (tmp_path / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out))
    return results


def _ocsp(client, ca, cert: x509.Certificate) -> ocsp.OCSPResponse:
    request = ocsp.OCSPRequestBuilder().add_certificate(
        cert, ca.issuing_certificate, hashes.SHA256()
    )
    reply = client.post(
        "/pki/ocsp",
        request.build().public_bytes(serialization.Encoding.DER),
        content_type="application/ocsp-request",
    )
    assert reply.status_code == 200
    return ocsp.load_der_ocsp_response(reply.content)


@pytest.mark.slow
def test_four_processes_issue_and_revoke_at_once(tmp_path, client, settings):
    settings.CHOP_PKI_PER_IP_PER_MINUTE = 10_000
    ca = platform_ca()
    shared = ca.issue_company("共享有限公司", "9144030071526726XG")
    before = set(IssuedCertificate.objects.values_list("serial", flat=True))

    results = _run_workers(tmp_path, shared.serial)

    issued = [s for r in results for s in r["issued"]]
    assert len(issued) == WORKERS * ROUNDS
    assert len(set(issued)) == len(issued), "a serial was handed out twice"
    rows = set(IssuedCertificate.objects.values_list("serial", flat=True)) - before
    assert rows == {format(int(s), "x") for s in issued}, "an issuance was lost"
    revoked = {int(s) for r in results for s in r["revoked"]} | {shared.serial}

    # the shared serial: revoked once, with the reason of whichever worker came first
    row = IssuedCertificate.objects.get(serial=shared.serial_hex)
    assert row.status == "revoked" and row.reason in {
        "key_compromise",
        "superseded",
        "affiliation_changed",
        "cessation_of_operation",
    }
    # every worker was told the first revocation's time and reason, not its own
    first = platform_ca().status(shared.serial)
    assert {tuple(r["shared"]) for r in results} == {(first.revoked_at.isoformat(), row.reason)}

    # CRL numbers: each worker's grow (a worker hands out its cached list again while nothing
    # changed, under the same number), and no number was given to two workers' lists
    numbers = []
    for r in results:
        assert r["crl_numbers"] == sorted(r["crl_numbers"])
        numbers += sorted(set(r["crl_numbers"]))
    assert len(set(numbers)) == len(numbers)

    # the platform's endpoints afterwards: the CRL lists exactly the revoked ones, OCSP agrees
    reply = client.get("/pki/issuing.crl")
    assert reply.status_code == 200
    crl = x509.load_der_x509_crl(reply.content)
    assert crl.is_signature_valid(ca.issuing_certificate.public_key())
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > max(numbers)
    listed = {r.serial_number for r in crl}
    assert revoked <= listed
    for serial in [*map(int, issued), shared.serial]:
        answer = _ocsp(client, ca, ca.certificate(serial))
        in_crl = serial in listed
        expected = ocsp.OCSPCertStatus.REVOKED if in_crl else ocsp.OCSPCertStatus.GOOD
        assert answer.certificate_status == expected, format(serial, "x")
        assert in_crl == (serial in revoked)
