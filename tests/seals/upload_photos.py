"""Shared by the upload and review tests: realistic photos of stamped impressions (made from
rendered seals by ``tests/sealart/test_extract.make_photo``), committing requests, uploads."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.sealart.test_extract import make_photo

_cache: dict[tuple, bytes] = {}


def stamp_photo(color: str = "red", kind: str = "contract", seed: int = 3) -> bytes:
    """A 1600×1200 JPEG phone photo of a stamped impression (perspective, yellowed paper,
    uneven light, a grey text line across it, blur, noise, JPEG q72)."""
    key = (color, kind, seed)
    if key not in _cache:
        _cache[key] = make_photo(kind, color, 0.06, (1.0, 0.8), (245, 232, 200), seed)[0]
    return _cache[key]


def plain_photo() -> bytes:
    """Paper and a grey line of text, no seal."""
    img = Image.new("RGB", (1200, 900), (240, 230, 205))
    from PIL import ImageDraw

    ImageDraw.Draw(img).rectangle((100, 420, 1100, 470), fill=(90, 90, 90))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def photo_file(data: bytes | None = None, name: str = "stamp.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else stamp_photo(), "image/jpeg")


def form_data(**over):
    data = {"kind": "contract", "name": "上海示例科技有限公司", "color": "red", "straighten": ""}
    data.update(over)
    if "photo" not in data:
        data["photo"] = photo_file()
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def commit_per_request(monkeypatch):
    """Run ``transaction.on_commit`` work (the extraction task) at the end of each test-client
    request, where production commits: the test's own transaction never does."""
    from django.test import Client, TestCase

    plain = Client.request

    def request_then_commit(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return plain(self, **kwargs)

    monkeypatch.setattr(Client, "request", request_then_commit)


def upload_now(
    company, by, *, kind="contract", name=None, color="red", data=None, straighten=False
):
    """Upload through the service and run the extraction as the worker would; the seal, fresh."""
    from django.core.files.base import ContentFile
    from django.test import TestCase

    from chop.seals.upload import start_upload
    from chop.uploads import clean_image

    photo = clean_image(ContentFile(data or stamp_photo(color), name="p.jpg"), max_bytes=20 << 20)
    with TestCase.captureOnCommitCallbacks(execute=True):
        seal = start_upload(
            company=company,
            by=by,
            kind=kind,
            name=name or company.name,
            color=color,
            straighten=straighten,
            photo=photo,
        )
    seal.refresh_from_db()
    return seal
