"""Uploads survive a refused submit (issue 9 §8: every validation error lost the photos)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from chop.accounts import otp, outbox
from chop.verification import holding
from chop.verification.models import CompanyVerification, PersonVerification
from tests.support.storage import on_both_storages, stored_names

from .conftest import LEGAL_REP_ID, png_bytes, upload

pytestmark = pytest.mark.django_db


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB").tobytes()


def person_data(**extra) -> dict:
    otp.issue_code("13900000011", "confirm")
    data = {
        "name": "张三",
        "id_number": LEGAL_REP_ID,
        "phone": "13900000011",
        "code": outbox.last_code("13900000011"),
    }
    data.update(extra)
    return data


def held_names() -> list[str]:
    """The held files as the storage lists them (local disk or S3)."""
    return stored_names(holding.FOLDER)


def held_files() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "holding"
    return sorted(folder.iterdir()) if folder.is_dir() else []


@on_both_storages
def test_fix_the_id_number_and_resubmit_without_reattaching(client, applicant):
    client.force_login(applicant)
    front, back = png_bytes(text="FRONT"), png_bytes(text="BACK")
    url = reverse("verification:person")
    refused = client.post(
        url,
        person_data(
            id_number="110105194912310021",  # wrong check digit
            id_front=upload("my-front.png", front),
            id_back=upload("my-back.png", back),
        ),
    )
    assert refused.status_code == 200 and not PersonVerification.objects.exists()
    html = refused.content.decode()
    assert (
        "已上传：my-front.png（可重新选择）" in html and "已上传：my-back.png（可重新选择）" in html
    )
    assert len(held_names()) == 2

    accepted = client.post(url, person_data())  # no files attached this time
    assert accepted.status_code == 302
    case = PersonVerification.objects.get()
    assert pixels(case.id_front.read()) == pixels(front)
    assert pixels(case.id_back.read()) == pixels(back)
    assert held_names() == []  # released once the case holds them


@on_both_storages
def test_a_new_file_replaces_the_held_one_and_bad_files_are_not_held(client, applicant):
    client.force_login(applicant)
    url = reverse("verification:person")
    client.post(
        url,
        person_data(
            id_number="1",
            id_front=upload("a.png", png_bytes(text="A")),
            id_back=upload("evil.png", b"<script>alert(1)</script>"),
        ),
    )
    assert len(held_names()) == 1  # the fake PNG was refused, so it is not held
    html = client.post(url, person_data(id_number="1")).content.decode()
    assert "a.png" in html and "evil.png" not in html
    newer = png_bytes(text="NEWER")
    client.post(url, person_data(id_front=upload("b.png", newer), id_back=upload("c.png")))
    case = PersonVerification.objects.get()
    assert pixels(case.id_front.read()) == pixels(newer)


def test_company_form_keeps_licence_and_letter(client, applicant, company):
    from tests.conftest import log_in

    log_in(client, applicant, company)
    url = reverse("verification:company")
    data = {
        "company_name": "深圳示例有限公司",
        "uscc": "9144030071526726XA",  # wrong check character
        "legal_rep_name": "张三",
        "legal_rep_id": LEGAL_REP_ID,
        "method": "letter",
    }
    licence, letter = png_bytes(text="LICENCE"), png_bytes(text="LETTER")
    client.post(
        url, {**data, "licence": upload("l.png", licence), "letter": upload("t.png", letter)}
    )
    assert not CompanyVerification.objects.exists()
    response = client.post(url, {**data, "uscc": "9144030071526726XG"})
    assert response.status_code == 302
    case = CompanyVerification.objects.get()
    assert pixels(case.licence.read()) == pixels(licence)
    assert pixels(case.letter.read()) == pixels(letter)


def test_held_files_are_not_served_and_abandoned_ones_are_swept(client, applicant):
    client.force_login(applicant)
    client.post(
        reverse("verification:person"),
        person_data(id_number="1", id_front=upload("a.png"), id_back=upload("b.png")),
    )
    files = held_files()
    assert len(files) == 2
    for f in files:
        assert client.get(f"{settings.MEDIA_URL}holding/{f.name}").status_code == 404
    old = time.time() - holding.MAX_AGE - 60
    os.utime(files[0], (old, old))
    assert holding.sweep() == 1
    assert held_files() == files[1:]
