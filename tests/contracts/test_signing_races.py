"""Twenty parties signing one contract at the same moment: the row lock queues them, each act is
built on the version current when its turn comes, and no signature is lost (PRODUCT.md §4)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from chop.contracts import signing
from chop.contracts.models import SigningAct
from tests.concurrency import at_once, errors

from .signing_support import (
    add_party,
    confirmed,
    latest_file,
    official_seal,
    pdf_serials,
    pyhanko_report,
    root_pem,
    send,
    upload,
)

N = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_parties_signing_at_once_all_end_up_in_the_final_pdf(
    verified_company, make_user, nss_db, tmp_path
):
    owners = [make_user(f"老板{i}") for i in range(N)]
    companies = [verified_company(f"并发测试第{i}有限公司", owner=owners[i]) for i in range(N)]
    contract = upload(companies[0], owners[0], pages=2)
    contract.order = "parallel"
    contract.save()
    parties = [
        add_party(contract, company=c, user=o) for c, o in zip(companies, owners, strict=True)
    ]
    send(contract, owners[0])
    seals = [official_seal(c) for c in companies]
    intents = [confirmed(p, o) for p, o in zip(parties, owners, strict=True)]
    for p in parties:
        p.refresh_from_db()
        assert p.state == "to_sign"

    def act(i: int):
        return signing.sign(
            parties[i],
            by=owners[i],
            seal=seals[i],
            intent=intents[i],
            free=[
                signing.FreeMark(page=1 + i % 2, x_mm=10 + (i % 5) * 38, y_mm=20 + (i // 5) * 60)
            ],
        )

    results = at_once(N, act)
    assert errors(results) == []
    contract.refresh_from_db()
    assert contract.state == "completed"
    assert SigningAct.objects.filter(contract=contract).count() == N
    assert contract.versions.count() == N + 1
    # Each act was built on the version before it: a chain of fingerprints with no fork.
    acts = {a.version.number: a for a in SigningAct.objects.select_related("version")}
    versions = {v.number: v for v in contract.versions.all()}
    for number in range(2, N + 2):
        assert acts[number].base_sha256 == versions[number - 1].sha256

    path = latest_file(contract, tmp_path)
    assert sorted(pdf_serials(path)) == sorted(int(s.certificate.serial) for s in seals)
    report = pyhanko_report(path)
    assert len(report.signatures) == N
    for s in report.signatures:
        assert s.intact and s.valid and s.trusted and not s.problems, s
    assert report.verdict == "valid", report.summary

    assert shutil.which("pdfsig"), "pdfsig (poppler-utils) is required"
    out = subprocess.run(
        ["pdfsig", "-nssdir", nss_db(root_pem()), "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
    )
    text = out.stdout + out.stderr
    assert len(re.findall(r"Signature Validation: Signature is Valid\.", text)) == N, text
    assert len(re.findall(r"Certificate Validation: Certificate is Trusted\.", text)) == N, text
