"""Leftovers of interrupted work: temp files of a killed write, certificates issued in vain."""

from __future__ import annotations

import os
import time

import pytest

from chop.pki import PlatformCA
from chop.pki.custody import CustodyError

from .conftest import COMPANY, KEK, USCC


def _age(path, seconds: float = 3600) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_leftover_temp_files_are_removed_when_the_ca_opens(ca, ca_dir):
    # What a process killed between write and rename leaves: an encrypted envelope, half an
    # index, a certificate, each named like the real writers name their temp files.
    leftovers = [
        ca_dir / "keys" / ".0123456789abcdef.json.1a2b3c4d.tmp",
        ca_dir / ".index.json.5e6f7a8b.tmp",
        ca_dir / "certs" / ".abc123.pem.tmp",
    ]
    for path in leftovers:
        path.write_bytes(b'{"v": 1, "ct": "..."}')
        _age(path)
    fresh = ca_dir / "keys" / ".fedcba9876543210.json.99999999.tmp"  # a write in progress now
    fresh.write_bytes(b"{}")
    try:
        PlatformCA.load(ca_dir, KEK)
        assert [p for p in leftovers if p.exists()] == []
        assert fresh.exists()
    finally:
        fresh.unlink(missing_ok=True)
    # the CA's own files are untouched
    assert (ca_dir / "index.json").exists() and (ca_dir / "ca.json").exists()
    assert PlatformCA.load(ca_dir, KEK).certificate(int(ca.config["root_serial"]))


def test_discard_revokes_and_destroys_the_key(ca):
    credential = ca.issue_company(COMPANY, USCC)
    assert ca.status(credential.serial).status == "good"

    status = ca.discard(credential.serial)

    assert status.is_revoked
    assert ca.status(credential.serial).is_revoked
    with pytest.raises(CustodyError):
        ca.file_custody.private_key(credential.key_ref)
