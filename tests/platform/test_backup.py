# ruff: noqa: F811  (pytest fixtures imported from the contracts and seals tests)
"""``chop backup`` and ``chop restore``: back up a platform that has signed, wipe it (an empty
migrated database, empty storage, no CA), restore, then check what a relying party would: the old
signed PDF validates (pyHanko's own validator with the platform root kept from before, and Chop's
verification), the stamping log's proofs hold, and a new act signs. On local disk and in an S3
bucket (moto's server), in both directions."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from chop import ledger
from chop.accounts.models import User
from chop.contracts.models import StampRecord
from chop.evidence import log
from chop.evidence.models import LogLeaf, TreeHead
from chop.pkistate.models import CAConfig, IssuedCertificate, KeyBlob
from chop.platform import backup as bk
from tests.contracts.signing_support import (  # noqa: F401
    latest_file,
    pdf_serials,
    root_pem,
    signing_world,
)
from tests.evidence.ledger_support import stamp
from tests.seals.conftest import verified_company  # noqa: F401
from tests.support.storage import BUCKET, s3_client, s3_storages, stored_names

LOCAL_TO_S3, S3_TO_LOCAL = "local->s3", "s3->local"


@pytest.fixture
def ca_rows_kept():
    """The session's platform CA lives in the database beyond each test: if a test wipes it and
    fails before its restore, it is put back, so the tests after it keep their CA."""
    from chop.seals.issuance import forget_platform_ca

    kept = [list(model.objects.all()) for model in (CAConfig, IssuedCertificate, KeyBlob)]
    yield
    if not CAConfig.objects.exists():
        for rows in kept:
            for row in rows:
                row.save(force_insert=True)
    forget_platform_ca()


@pytest.fixture
def bucket(s3_server):
    """An empty bucket on moto's S3 server (not yet the default storage)."""
    client = s3_client(s3_server)
    yield s3_storages(s3_server)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture(params=[LOCAL_TO_S3, S3_TO_LOCAL])
def direction(request, bucket, settings):
    """Where the files are before the backup and where they go on restore; the storage is the
    source's from the start (before the fixtures that store seal images)."""
    source, target = request.param.split("->")
    if source == "s3":
        settings.STORAGES = bucket
    return source, target


def _use_storage(settings, kind: str, s3, media: Path) -> None:
    if kind == "s3":
        settings.STORAGES = s3
    else:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        }
        settings.MEDIA_ROOT = media


def _counts() -> dict[str, int]:
    return {bk._label(m): m._base_manager.count() for m in bk.tables()}


def _run(command: str, *args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command(command, *args, stdout=out, stderr=out)
    return out.getvalue()


def _refused(command: str, *args) -> str:
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command(command, *args, stdout=io.StringIO())
    return str(refused.value)


def _wipe() -> None:
    """What a fresh machine has: a migrated database with no rows but those ``migrate`` makes,
    no CA, and an empty storage."""
    from chop.seals.issuance import forget_platform_ca

    call_command("flush", interactive=False, verbosity=0)  # the tests lift the log's triggers
    for model in (CAConfig, IssuedCertificate, KeyBlob):
        model.objects.all().delete()
    forget_platform_ca()
    for name in stored_names():
        default_storage.delete(name)


def _pyhanko_status(pdf: Path, root_pem_bytes: bytes):
    from cryptography import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chop.pdfsign.verify import _load_roots

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    root = x509.load_pem_x509_certificate(root_pem_bytes)
    with open(pdf, "rb") as fh:
        sigs = PdfFileReader(fh, strict=False).embedded_signatures
        return [
            validate_pdf_signature(s, ValidationContext(trust_roots=_load_roots([root])))
            for s in sigs
        ]


def _bundle() -> dict:
    bundle = json.loads("".join(log.stream_bundle(StampRecord.objects.order_by("pk"))))
    bundle.pop("generated_at")
    return bundle


@pytest.mark.django_db(transaction=True)
def test_backup_wipe_restore_then_verify_prove_and_sign(
    direction, signing_world, ca_rows_kept, bucket, settings, tmp_path
):
    _source, target = direction
    contract, _act = stamp(signing_world)
    stamp(signing_world)
    assert log.append_pending() >= 0
    head = log.publish_head()
    assert head.tree_size == 2
    before_dir = tmp_path / "before"
    before_dir.mkdir()
    old_pdf = latest_file(contract, before_dir)
    root = root_pem()  # the relying party's trust anchor, taken before the backup
    bundle_before = _bundle()
    counts_before = _counts()
    stamped_at = list(StampRecord.objects.order_by("pk").values_list("stamped_at", flat=True))
    files_before = {
        n: hashlib.sha256(default_storage.open(n, "rb").read()).hexdigest() for n in stored_names()
    }
    assert any(n.endswith(".pdf") for n in files_before)

    archive = tmp_path / "chop-backup.zip"
    said = _run("backup", str(archive))
    assert "CHOP_KEK" in said and "not in the archive" in said
    assert archive.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(".chop-backup.zip.*"))  # no temporary left beside it
    with zipfile.ZipFile(archive) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["database"]["vendor"] == connection.vendor
        assert {e["name"] for e in manifest["files"]} == set(files_before)
        assert manifest["missing_files"] == []
        assert manifest["kek"]["included"] is False
        everything = b"".join(z.read(n) for n in z.namelist())
    assert settings.CHOP_KEK.encode() not in everything

    _wipe()
    _use_storage(settings, target, bucket, tmp_path / "media-after")
    assert StampRecord.objects.count() == 0 and not CAConfig.objects.exists()
    assert stored_names() == []

    said = _run("restore", str(archive))
    assert "The platform CA opens with CHOP_KEK" in said
    assert _counts() == counts_before
    assert {
        n: hashlib.sha256(default_storage.open(n, "rb").read()).hexdigest() for n in stored_names()
    } == files_before
    # times kept as stored (no auto_now rewrite on load)
    assert list(StampRecord.objects.order_by("pk").values_list("stamped_at", flat=True)) == (
        stamped_at
    )

    # the old signed PDF, from the restored storage: byte for byte, valid for pyHanko with the
    # root taken before, and for Chop's own verification, which still knows the document
    from chop.evidence import verifying

    contract.refresh_from_db()
    after_dir = tmp_path / "after"
    after_dir.mkdir()
    restored_pdf = latest_file(contract, after_dir)
    assert restored_pdf.read_bytes() == old_pdf.read_bytes()
    statuses = _pyhanko_status(restored_pdf, root)
    assert statuses and all(s.intact and s.valid and s.trusted for s in statuses)
    result = verifying.check_path(restored_pdf)
    assert result.verdict == "valid"
    assert result.known is not None and result.known.contract_id == contract.pk
    assert root_pem() == root

    # the stamping log: the same bundle, and it verifies offline against the old root
    from cryptography import x509

    trust = x509.load_pem_x509_certificate(root)
    assert _bundle() == bundle_before
    report = ledger.verify_bundle(
        _bundle(), trust=trust, pdfs=[("signed.pdf", restored_pdf.read_bytes())]
    )
    assert report.ok, report.lines
    assert report.records_ok == 2

    # a new act signs on the restored platform, with a certificate from the restored CA's
    # index, and the log grows consistently from the old head
    new_contract, _ = stamp(signing_world)
    log.append_pending()
    grown = log.publish_head()
    assert grown.tree_size == 3 and LogLeaf.objects.count() == 3
    t = log.tree()
    assert ledger.verify_consistency(
        2,
        3,
        t.consistency_proof(2, 3),
        bytes.fromhex(head.root_hash),
        bytes.fromhex(grown.root_hash),
    )
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    new_pdf = latest_file(new_contract, new_dir)
    statuses = _pyhanko_status(new_pdf, root)
    assert statuses and all(s.intact and s.valid and s.trusted for s in statuses)
    index = set(IssuedCertificate.objects.values_list("serial", flat=True))
    assert {format(n, "x") for n in pdf_serials(new_pdf)} <= index
    report = ledger.verify_bundle(_bundle(), trust=trust)
    assert report.ok, report.lines
    assert report.records_ok == 3
    assert TreeHead.objects.count() == 2


@pytest.fixture
def archive(db, tmp_path, make_user, ca_rows_kept):
    make_user("备份前的用户")
    path = tmp_path / "b.zip"
    _run("backup", str(path))
    return path


def _data_offset(path: Path, member: str) -> int:
    """Where ``member``'s (compressed) bytes start in the zip file at ``path``."""
    import struct

    with zipfile.ZipFile(path) as z:
        start = z.getinfo(member).header_offset
    raw = path.read_bytes()
    name_len, extra_len = struct.unpack("<HH", raw[start + 26 : start + 30])
    return start + 30 + name_len + extra_len


def _rewrite(source: Path, target: Path, change) -> None:
    """Copy the archive member by member, passing each (name, data) through ``change``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info.filename)))


@pytest.mark.django_db(transaction=True)
def test_a_corrupted_archive_is_refused_and_nothing_changes(archive, tmp_path):
    _wipe()
    # a row changed after the backup (the zip's own CRC is right: only the checksum catches it)
    edited = tmp_path / "edited.zip"
    _rewrite(
        archive,
        edited,
        lambda name, data: (
            data.replace("备份".encode(), "预备".encode())
            if name == "db/accounts.user.jsonl"
            else data
        ),
    )
    message = _refused("restore", str(edited))
    assert "damaged" in message and "db/accounts.user.jsonl" in message
    assert "Nothing was changed" in message
    # a flipped byte in the file itself
    flipped = tmp_path / "flipped.zip"
    data = bytearray(archive.read_bytes())
    data[_data_offset(archive, "db/accounts.user.jsonl") + 5] ^= 0xFF
    flipped.write_bytes(bytes(data))
    assert "damaged" in _refused("restore", str(flipped))
    # not a backup at all, and a truncated one
    (tmp_path / "other.zip").write_bytes(b"PK\x03\x04 nothing")
    assert "damaged" in _refused("restore", str(tmp_path / "other.zip"))
    (tmp_path / "cut.zip").write_bytes(archive.read_bytes()[:-100])
    assert "damaged" in _refused("restore", str(tmp_path / "cut.zip"))
    assert User.objects.count() == 0 and not CAConfig.objects.exists()
    assert stored_names() == []


@pytest.mark.django_db(transaction=True)
def test_a_wrong_kek_is_refused_before_anything_changes(archive, settings):
    _wipe()
    settings.CHOP_KEK = "not-the-platform-kek"
    message = _refused("restore", str(archive))
    assert "CHOP_KEK is not the key-encryption key" in message
    assert User.objects.count() == 0 and not CAConfig.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_platform_that_does_not_open_is_rolled_back(archive, settings, monkeypatch):
    """Past the checks, a failure while opening the restored CA leaves no row and no file."""
    from chop.pki import PlatformCA
    from chop.pki.errors import WrongKEKError

    _wipe()

    def refuse(*args, **kwargs):
        raise WrongKEKError("no", directory="the database")

    monkeypatch.setattr(PlatformCA, "load", refuse)
    assert "does not open with CHOP_KEK" in _refused("restore", str(archive))
    assert User.objects.count() == 0 and not CAConfig.objects.exists()
    assert stored_names() == []


@pytest.mark.django_db(transaction=True)
def test_a_database_in_use_is_refused_unless_forced(archive, make_user):
    make_user("备份后的用户")
    message = _refused("restore", str(archive))
    assert "not empty" in message and "accounts.user" in message and "--force" in message
    assert User.objects.filter(name="备份后的用户").exists()
    said = _run("restore", str(archive), "--force")
    assert "Restored" in said
    assert set(User.objects.values_list("name", flat=True)) == {"备份前的用户"}
    assert CAConfig.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_force_never_deletes_the_stamping_log(signing_world, ca_rows_kept, tmp_path):
    stamp(signing_world)
    path = tmp_path / "b.zip"
    _run("backup", str(path))
    message = _refused("restore", str(path), "--force")
    assert "append-only" in message and "contracts.stamprecord" in message
    assert StampRecord.objects.count() == 1


def test_a_backup_that_fails_leaves_no_file(db, tmp_path, settings, monkeypatch):
    """The archive is written under a temporary name: a failure late in the backup (here: the
    last step, the CA directory) keeps the previous archive and leaves no partial one."""
    out = tmp_path / "out"
    out.mkdir()
    target = out / "b.zip"
    target.write_bytes(b"the previous backup")
    settings.CHOP_PKI_DIR = tmp_path / "pki"
    settings.CHOP_PKI_DIR.mkdir()
    (settings.CHOP_PKI_DIR / "ca.json").write_text("{}")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bk, "_copy_path", broken)
    with pytest.raises(OSError, match="disk full"):
        bk.backup(target)
    assert target.read_bytes() == b"the previous backup"
    assert [p.name for p in out.iterdir()] == ["b.zip"]


@pytest.mark.django_db(transaction=True)
def test_the_snapshot_is_one_instant_and_writers_go_on(archive, tmp_path, monkeypatch):
    """A row committed by another connection while the backup reads is not in the archive (the
    rows are one snapshot), and that writer is not held up by the backup (on SQLite the backup
    reads in a plain read transaction, not Django's IMMEDIATE one that takes the write lock)."""
    import threading

    from django.db import connections

    original = bk._export_table
    written: list[str] = []

    def export_while_writing(zf, model, using, names):
        if not written:

            def write():
                try:
                    User.objects.create_user("13700000001", "secret-pass-123", name="写入者")
                    written.append("committed")
                finally:
                    connections.close_all()

            writer = threading.Thread(target=write)
            writer.start()
            writer.join(timeout=15)
            assert written == ["committed"], "the writer was blocked by the backup"
        return original(zf, model, using, names)

    monkeypatch.setattr(bk, "_export_table", export_while_writing)
    path = tmp_path / "during.zip"
    _run("backup", str(path))
    assert User.objects.filter(name="写入者").exists()
    with zipfile.ZipFile(path) as z:
        users = z.read("db/accounts.user.jsonl").decode()
    assert "备份前的用户" in users and "写入者" not in users


@pytest.mark.django_db(transaction=True)
def test_stored_files_are_all_copied_and_a_missing_one_is_named(
    verified_company, ca_rows_kept, tmp_path
):
    from chop.seals.models import Seal

    verified_company()
    seal = Seal.objects.exclude(image="").first()
    assert seal is not None
    default_storage.save("contracts/previews/9/1000/1.png", io.BytesIO(b"a preview"))
    default_storage.delete(seal.image.name)
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("backup", str(tmp_path / "b.zip"), stdout=out, stderr=err)
    assert f"Missing from the storage although the database names it: {seal.image.name}" in (
        err.getvalue()
    )
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["missing_files"] == [seal.image.name]
        assert z.read("files/contracts/previews/9/1000/1.png") == b"a preview"


@pytest.mark.django_db(transaction=True)
def test_an_archive_of_another_schema_is_refused(archive, tmp_path):
    _wipe()
    other = tmp_path / "other-schema.zip"

    def older(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["database"]["migrations"]["contracts"].pop()
        return json.dumps(manifest).encode()

    _rewrite(archive, other, older)
    message = _refused("restore", str(other))
    assert "database schema differs" in message and "contracts" in message
    assert User.objects.count() == 0
