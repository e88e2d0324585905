"""Fixtures for verification: a platform CA per test session, users, images, and helpers."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from chop.accounts.models import User
from chop.orgs.models import Company, Membership, Role
from tests.conftest import log_in

USCC = "9144030071526726XG"
LEGAL_REP_ID = "11010519491231002X"


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(autouse=True)
def _platform_ca(settings, pki_dir):
    """All tests of a session share one CA directory (creating a CA costs key generation)."""
    settings.CHOP_PKI_DIR = pki_dir
    settings.CHOP_OTP_RESEND_SECONDS = 0  # tests send several codes to one phone in a row


def png_bytes(w: int = 900, h: int = 560, text: str = "ID") -> bytes:
    img = Image.new("RGB", (w, h), (235, 240, 245))
    draw = ImageDraw.Draw(img)
    draw.rectangle((30, 30, w - 30, h - 30), outline=(40, 60, 90), width=6)
    draw.text((60, 60), text, fill=(10, 10, 10))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def upload(name: str = "photo.png", data: bytes | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name, data if data is not None else png_bytes(), content_type="image/png"
    )


@pytest.fixture
def applicant(db):
    return User.objects.create_user("13900000011", "s3cret-pass-1", name="")


@pytest.fixture
def operator(db):
    return User.objects.create_user(
        "ops@example.com", "s3cret-pass-2", name="审核员", is_staff=True
    )


@pytest.fixture
def company(applicant):
    c = Company.objects.create(name="深圳示例有限公司", created_by=applicant)
    Membership.objects.create(company=c, user=applicant, role=Role.OWNER)
    return c


@pytest.fixture
def in_company(client, applicant, company):
    """The applicant logged in, with the company as the active space."""
    return log_in(client, applicant, company)


@pytest.fixture(autouse=True)
def _commit_work_per_request(request, monkeypatch):
    """Run ``transaction.on_commit`` work at the end of each test-client request.

    Tests that are not ``transaction=True`` run inside one transaction that never commits, so
    the messages and provider tasks the services queue for the commit would never run. Each
    request is where production commits, so that is where they run here too.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or marker.kwargs.get("transaction") or "live_server" in request.fixturenames:
        return
    from django.test import Client, TestCase

    plain = Client.request

    def request_then_commit(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return plain(self, **kwargs)

    monkeypatch.setattr(Client, "request", request_then_commit)
