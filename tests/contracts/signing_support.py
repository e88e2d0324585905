"""Set-up for the signing tests: verified companies with their official seals and certificates,
a person with a person certificate, and a contract with a real PDF sent to them."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.support.pdfsign_testing import make_pdf

PERSON_ID = "11010519491231002X"


def upload(company, creator, *, pages: int = 2, texts=None, title="采购合同"):
    from chop.contracts import documents, previews

    data = make_pdf(pages, texts=texts)
    contract = documents.create_draft(
        company=company,
        user=creator,
        title=title,
        upload=SimpleUploadedFile("合同.pdf", data, content_type="application/pdf"),
    )
    version = contract.current_version()
    if version.preview_state != "ready":  # the on-commit task has not run in this test
        previews.render_version(version)
    return contract


def add_party(contract, *, company=None, user=None, name=None, position=None):
    from chop.contracts.models import Participant

    if position is None:
        position = contract.participants.count()
    if company is not None:
        return Participant.objects.create(
            contract=contract,
            position=position,
            kind="company",
            company=company,
            user=user,
            name=name or company.name,
            uscc=company.uscc or "",
        )
    return Participant.objects.create(
        contract=contract, position=position, kind="person", user=user, name=name or user.name
    )


def send(contract, by):
    from chop.contracts import sending

    sending.send(contract, by=by)
    contract.refresh_from_db()
    return contract


def confirmed(party, user, *, method="password", minutes=10):
    """A confirmation of intent made just now (what the intent step leaves)."""
    from chop.contracts.models import SigningIntent

    now = timezone.now()
    return SigningIntent.objects.create(
        participant=party,
        user=user,
        method=method,
        confirmed_at=now,
        expires_at=now + datetime.timedelta(minutes=minutes),
    )


def official_seal(company):
    from chop.seals.issuance import active_official_seal

    return active_official_seal(company)


def person_seal(user, company, name="张三"):
    """A person's own seal with a person certificate (the legal representative's seal)."""
    from chop.seals.issuance import ensure_legal_rep_seal

    return ensure_legal_rep_seal(company, user, name, PERSON_ID, by=user)


def root_certificate():
    from chop.seals.issuance import platform_ca

    return platform_ca().root_certificate


def root_pem() -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return root_certificate().public_bytes(Encoding.PEM)


def latest_file(contract, tmp_path: Path) -> Path:
    version = contract.current_version()
    target = tmp_path / f"v{version.number}.pdf"
    with version.file.open("rb") as fh:
        target.write_bytes(fh.read())
    return target


def pyhanko_report(path: Path):
    from chop.pdfsign import verify

    return verify(path, [root_certificate()])


def pdf_serials(path: Path) -> list[int]:
    """The signer certificate serial of every signature in the file, in order (read by
    pyHanko directly, not by Chop's verifier)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as fh:
        reader = PdfFileReader(io.BytesIO(fh.read()))
        return [s.signer_cert.serial_number for s in reader.embedded_signatures]


@pytest.fixture
def signing_world(verified_company, make_user):
    """Verified company A (owner, a seal keeper who stamps, a plain member) and B (owner), each
    with its official seal; a person P with a person certificate and seal."""
    from chop.orgs.models import Role

    a_owner = make_user("甲方老板")
    a_keeper = make_user("甲方印章管理员")
    a_member = make_user("甲方员工")
    a = verified_company(
        "甲方科技有限公司",
        owner=a_owner,
        members={a_keeper: Role.SEAL_KEEPER, a_member: Role.MEMBER},
    )
    b_owner = make_user("乙方老板")
    b = verified_company("乙方贸易有限公司", owner=b_owner)
    person = make_user("张三", email="zhangsan@example.com")
    return {
        "a": a,
        "a_owner": a_owner,
        "a_keeper": a_keeper,
        "a_member": a_member,
        "b": b,
        "b_owner": b_owner,
        "person": person,
        "person_seal": person_seal(person, b),
    }


def sign_as(party, user, *, seal=None):
    """Sign for ``party`` through the service, with a fresh confirmation and, for a party with
    no designated position, one seal placed freely at the top-left of page 1."""
    from chop.contracts import signing

    seal = seal or official_seal(party.company)
    free = [] if party.positions.exists() else [signing.FreeMark(page=1, x_mm=20, y_mm=20)]
    return signing.sign(party, by=user, seal=seal, intent=confirmed(party, user), free=free)


def outbox_codes(to: str) -> list[str]:
    """The one-time codes sent to ``to`` so far (the development outbox), oldest first."""
    import json

    from django.conf import settings

    path = settings.CHOP_OUTBOX
    if not path.exists():
        return []
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [x["code"] for x in lines if x["to"] == to and x.get("code")]
