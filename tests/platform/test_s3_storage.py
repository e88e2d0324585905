# ruff: noqa: F811  (pytest fixtures imported for use by name)
"""Files in an S3-compatible bucket (CHOP_STORAGE=s3), against moto's S3 server over HTTP.

The representative flows (upload with previews, signing, the evidence report, seal images) run on
both storages through ``on_both_storages`` in their own test files; here are what only S3 has: the
bucket's keys under the prefix, private objects served through the app with the same headers,
large objects spooled to disk rather than held in memory, and held uploads any app server sees.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from tests.contracts.signing_support import upload
from tests.seals.conftest import verified_company  # noqa: F401 (a fixture, used by name)
from tests.support.storage import BUCKET, PREFIX, stored_names

pytestmark = pytest.mark.django_db


def bucket_keys(client) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return sorted(o["Key"] for p in pages for o in p.get("Contents", []))


def test_a_contract_and_its_previews_are_private_objects_under_the_prefix(
    s3_bucket, verified_company, make_user, login
):
    owner = make_user("老板")
    company = verified_company(owner=owner)
    contract = upload(company, owner, pages=2)
    version = contract.current_version()
    keys = bucket_keys(s3_bucket)
    assert all(k.startswith(f"{PREFIX}/") for k in keys)
    contract_keys = [k for k in keys if k.startswith(f"{PREFIX}/contracts/")]
    assert f"{PREFIX}/{version.file.name}" in contract_keys
    assert len(contract_keys) == 1 + 2 * 2  # the document and two sizes of its two pages
    assert stored_names() == sorted(k.removeprefix(f"{PREFIX}/") for k in keys)
    # no public grant on the object: only the bucket owner may read it
    acl = s3_bucket.get_object_acl(Bucket=BUCKET, Key=f"{PREFIX}/{version.file.name}")
    assert all(g["Grantee"].get("URI") is None for g in acl["Grants"]), acl["Grants"]

    client = login(owner, company)
    response = client.get(reverse("contract_version_download", args=[contract.pk, version.number]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == version.sha256
    assert int(response["Content-Length"]) == version.size
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    assert (
        "X-Amz" not in body.decode("latin-1")
        and BUCKET not in response.serialize_headers().decode()
    )
    page = client.get(f"/contracts/{contract.pk}/versions/1/pages/1/thumb.png")
    assert page.status_code == 200 and b"".join(page.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_large_object_is_spooled_to_disk_not_held_in_memory(s3_bucket):
    data = os.urandom(3 * 1024 * 1024)  # the tests' spool limit is 1 MB
    name = default_storage.save("contracts/big.bin", ContentFile(data))
    with default_storage.open(name, "rb") as fh:
        assert fh.read(16) == data[:16]
        assert fh.file._rolled  # written to a temporary file on disk past the limit
        fh.seek(0)
        digest = hashlib.sha256()
        while chunk := fh.read(256 * 1024):
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    default_storage.delete(name)
    assert not default_storage.exists(name)
