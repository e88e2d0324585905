"""Fixtures for contracts: a company with people in it, PDFs of every kind a test needs, and
on-commit work (preview tasks) run at the end of each test-client request as production would."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support.pdfsign_testing import TestPKI, make_pdf


@pytest.fixture(autouse=True)
def _commit_work_per_request(request, monkeypatch):
    """Tests that are not ``transaction=True`` never commit, so the preview task queued for the
    commit would never run; each test-client request is where production commits."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or marker.kwargs.get("transaction") or "live_server" in request.fixturenames:
        return
    from django.test import Client, TestCase

    plain = Client.request

    def request_then_commit(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return plain(self, **kwargs)

    monkeypatch.setattr(Client, "request", request_then_commit)


@pytest.fixture
def acme(make_company, make_user):
    """A company with an owner, an administrator, a seal keeper and a plain member."""
    from chop.orgs.models import Role

    owner = make_user("甲方老板")
    admin = make_user("甲方管理员")
    keeper = make_user("甲方印章管理员")
    member = make_user("甲方员工")
    company = make_company(
        "甲方科技有限公司",
        owner=owner,
        members={admin: Role.ADMIN, keeper: Role.SEAL_KEEPER, member: Role.MEMBER},
    )
    return {"company": company, "owner": owner, "admin": admin, "keeper": keeper, "member": member}


def pdf_file(data: bytes, name: str = "合同.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def pdf_pages(n: int, **kw) -> bytes:
    return make_pdf(n, **kw)


_pki: TestPKI | None = None


def certified_pdf(no_changes: bool = True) -> bytes:
    """A PDF its author certified (DocMDP), as another e-signature product would leave it."""
    global _pki
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import MDPPerm

    _pki = _pki or TestPKI()
    author = _pki.issue_company("作者有限公司", "91110000600037341L")
    w = IncrementalPdfFileWriter(io.BytesIO(make_pdf(2)))
    out = io.BytesIO()
    signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name="Cert",
            certify=True,
            docmdp_permissions=MDPPerm.NO_CHANGES if no_changes else MDPPerm.FILL_FORMS,
        ),
        signer=author.signer(),
    ).sign_pdf(w, output=out)
    return out.getvalue()


def media_files(root: Path) -> list[str]:
    """Every file under MEDIA_ROOT, relative: what a refused upload must not leave behind."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# Parties, a world of two companies and a person, and the captured outbox (states, participants
# and sending tests).
# The signing tests: verified companies with their seals and certificates (signing_support).
from tests.seals.conftest import verified_company  # noqa: E402, F401

from .parties_support import sent, world  # noqa: E402, F401
from .signing_support import signing_world  # noqa: E402, F401
