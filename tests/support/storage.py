"""Files through Django's storage API, on local disk or in an S3 bucket.

``on_both_storages`` runs a test twice: on local storage (``MEDIA_ROOT``) and on django-storages'
S3 backend against moto's S3 server, which ``tests/conftest.py`` starts over HTTP on a free
loopback port. Tests so marked look at files only through ``stored_names`` and
``default_storage``, never through a path.
"""

from __future__ import annotations

import pytest

from chop.platform.backup import stored_names  # noqa: F401  (the tests' way to list files)

on_both_storages = pytest.mark.usefixtures("storage_kind")

BUCKET = "chop-test"
PREFIX = "tenant-a"  # CHOP_S3_PREFIX: everything lands under it


def s3_client(endpoint: str):
    """A boto3 client of moto's S3 server at ``endpoint``, with the bucket made (empty)."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    return client


def s3_storages(endpoint: str) -> dict:
    """STORAGES as settings.py builds it for CHOP_STORAGE=s3 against ``endpoint``."""
    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "addressing_style": "path",
                "location": PREFIX,
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
                "max_memory_size": 1024 * 1024,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
