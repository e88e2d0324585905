"""A new contract from an uploaded file: checked, converted if needed, stored with its SHA-256.

The upload is never held in memory whole. Django spools a large upload to a temporary file (past
``FILE_UPLOAD_MAX_MEMORY_SIZE``); a small one is copied to a work directory in chunks. Every check
then reads that file on demand:

1. size (``CHOP_CONTRACT_MAX_BYTES``) and type from the bytes (PDF, or Word/ODT/RTF converted by
   LibreOffice when installed, see ``convert``);
2. ``chop.uploads.check_pdf_file``: nothing that could run (JavaScript, actions, embedded files),
   no encryption, 1…``CHOP_CONTRACT_MAX_PAGES`` pages (PRODUCT.md §7);
3. ``chop.pdfsign.precheck.check_signable``: the engine opens it as it will when signing
   (malformed, encrypted, certified with DocMDP are refused with the engine's words);
4. SHA-256 and size of the PDF that is kept, hashed in 1 MB chunks.

Only then, in one transaction, the contract row, version 1 and its file are written; if anything
after the file's write fails, the file is deleted again. A refusal keeps nothing: no row, no file.
Previews are queued for after the commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from chop import uploads
from chop.audit.events import record
from chop.explain import explain
from chop.pdfsign import PdfSignError
from chop.pdfsign.precheck import check_signable

from . import convert
from .models import Contract, DocumentVersion

log = logging.getLogger(__name__)

CHUNK = 1 << 20
MB = 1024 * 1024


class UploadRefused(Exception):
    """The file cannot become a contract; ``message`` is for the person who uploaded it."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Prepared:
    """A checked PDF on local disk, ready to be stored."""

    path: Path
    sha256: str
    size: int
    page_count: int
    page_sizes: list[tuple[float, float]]
    source_format: str


def max_bytes() -> int:
    return int(settings.CHOP_CONTRACT_MAX_BYTES)


def max_pages() -> int:
    return int(settings.CHOP_CONTRACT_MAX_PAGES)


def _too_big(size: int) -> UploadRefused:
    return UploadRefused(
        _("The file is %(size).1f MB; the limit is %(limit)d MB.")
        % {"size": size / MB, "limit": max_bytes() // MB},
        "too_big",
    )


def local_copy(upload, work: Path) -> Path:
    """A path to the upload's bytes on disk: Django's temporary file when it made one, else a copy
    written in chunks (never ``read()`` whole); refuses once the size passes the limit."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise _too_big(size)
    temp_path = getattr(upload, "temporary_file_path", None)
    if temp_path is not None:
        return Path(temp_path())
    target = work / "upload.bin"
    written = 0
    with open(target, "wb") as out:
        for chunk in (
            upload.chunks(CHUNK)
            if hasattr(upload, "chunks")
            else iter(partial(upload.read, CHUNK), b"")
        ):
            written += len(chunk)
            if written > max_bytes():
                raise _too_big(written)
            out.write(chunk)
    return target


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def prepare(upload, work: Path) -> Prepared:
    """Run every check on ``upload``; return the PDF to keep, or raise ``UploadRefused``."""
    path = local_copy(upload, work)
    with open(path, "rb") as fh:
        head = fh.read(16)
    source_format = "pdf"
    if uploads.detect(head) is not uploads.PDF:
        fmt = convert.sniff_office(path)
        if fmt is None:
            raise UploadRefused(
                _("Upload the contract as a PDF, or as a Word, ODT or RTF document."), "type"
            )
        if not convert.available():
            raise UploadRefused(
                _(
                    "Word, ODT and RTF files need LibreOffice on the server, which is not installed "
                    "here. Save the document as PDF and upload the PDF."
                ),
                "no_converter",
            )
        try:
            path = convert.to_pdf(path, fmt, work)
        except convert.ConversionError as exc:
            raise UploadRefused(_conversion_message(exc.code), f"convert_{exc.code}") from None
        source_format = fmt
        if path.stat().st_size > max_bytes():
            raise _too_big(path.stat().st_size)
    try:
        uploads.check_pdf_file(path, max_pages=max_pages())
    except ValidationError as exc:
        raise UploadRefused(" ".join(exc.messages), exc.code or "invalid_pdf") from None
    try:
        signable = check_signable(path)
    except PdfSignError as exc:
        raise UploadRefused(explain(exc), exc.code) from None
    sha256, size = file_sha256(path)
    return Prepared(path, sha256, size, signable.page_count, signable.page_sizes, source_format)


def _conversion_message(code: str) -> str:
    if code == "timeout":
        return _(
            "Converting the document to PDF took too long. Save it as PDF yourself and upload "
            "the PDF."
        )
    if code == "unavailable":
        return _(
            "Word, ODT and RTF files need LibreOffice on the server, which is not installed "
            "here. Save the document as PDF and upload the PDF."
        )
    return _(
        "The document could not be converted to PDF; it may be damaged. Save it as PDF "
        "yourself and upload the PDF."
    )


def original_name(upload) -> str:
    """The uploader's file name, for the versions list only (never a path, never a command)."""
    name = os.path.basename(str(getattr(upload, "name", "") or ""))
    return "".join(ch for ch in name if ch.isprintable())[:200]


def create_draft(
    *, company, user, title: str, upload, request=None, details: dict | None = None
) -> Contract:
    """A draft contract with version 1 of its document, or ``UploadRefused`` and nothing kept.
    ``details`` sets further cleaned fields (number, contract type, deadline, order) in the same
    transaction, so a contract never exists without what its creator asked for."""
    with tempfile.TemporaryDirectory(prefix="chop-upload-") as work:
        prepared = prepare(upload, Path(work))
        with files_discarded_on_failure() as stored, transaction.atomic():
            contract = Contract.objects.create(
                company=company, created_by=user, title=title, **(details or {})
            )
            version = add_version(
                contract,
                prepared,
                by=user,
                reason=(
                    DocumentVersion.Reason.UPLOADED
                    if prepared.source_format == "pdf"
                    else DocumentVersion.Reason.CONVERTED
                ),
                note=original_name(upload),
                stored=stored,
            )
            record(
                "contract.created",
                request=request,
                actor=user,
                company=company,
                obj=contract,
                title=title,
                sha256=version.sha256,
                pages=version.page_count,
                source=prepared.source_format,
            )
    return contract


@contextlib.contextmanager
def files_discarded_on_failure() -> Iterator[list[DocumentVersion]]:
    """A list to pass to ``add_version(stored=...)``. Wrap the transaction in it: if the block
    raises, the transaction has rolled back and the files of the versions it wrote are deleted,
    so no stored file outlives the rows that would have pointed at it."""
    stored: list[DocumentVersion] = []
    try:
        yield stored
    except BaseException:
        for version in stored:
            try:
                version.file.delete(save=False)
            except Exception:
                log.exception("could not delete the file of an unsaved version")
        raise


def add_version(
    contract: Contract,
    prepared: Prepared,
    *,
    by,
    reason: str,
    note: str = "",
    stored: list[DocumentVersion] | None = None,
    after: DocumentVersion | None = None,
) -> DocumentVersion:
    """Store ``prepared`` as the contract's next version; call inside a transaction that holds
    the contract's row lock when versions can race (signing acts), so numbers stay 1..n.

    ``stored`` collects the version once its file is written, so the caller can delete the file
    if its transaction fails after this returns; a failure inside deletes the file here.
    ``after``: the latest version, read by the caller under that lock (saves reading it again).
    """
    if after is not None:
        last = after.number
    else:
        last = contract.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = DocumentVersion(
        contract=contract,
        number=last + 1,
        sha256=prepared.sha256,
        size=prepared.size,
        page_count=prepared.page_count,
        page_sizes=[[round(w, 2), round(h, 2)] for w, h in prepared.page_sizes],
        reason=reason,
        note=note,
        source_format=prepared.source_format,
        created_by=by,
    )
    with open(prepared.path, "rb") as fh:
        version.file.save("document.pdf", File(fh), save=False)
    try:
        version.save()
    except BaseException:
        version.file.delete(save=False)
        raise
    if stored is not None:
        stored.append(version)
    from .tasks import enqueue_previews

    enqueue_previews(version)
    return version


def copy_to(version: DocumentVersion, target: Path) -> Path:
    """The version's file copied to local ``target`` in chunks (storage may be remote)."""
    with version.file.open("rb") as src, open(target, "wb") as out:
        shutil.copyfileobj(src, out, CHUNK)
    return target
