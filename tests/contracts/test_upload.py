"""Uploading a contract: a checked PDF (or a converted Word/ODT/RTF file) becomes a draft with
version 1 and its SHA-256; every refusal says why and keeps nothing (no row, no file)."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess

import pypdfium2 as pdfium
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from chop.audit.models import AuditEvent
from chop.contracts import convert, previews
from chop.contracts.models import Contract, DocumentVersion
from tests.support.storage import on_both_storages, stored_names
from tests.verification.test_uploads import _embedded, _javascript, _launch, _pdf

from .conftest import certified_pdf, media_files, pdf_file, pdf_pages

pytestmark = pytest.mark.django_db

STORED = re.compile(r"^contracts/\d+/[0-9a-f]{32}\.pdf$")


def _upload(client, data: bytes, name: str = "合同.pdf", title: str = "采购合同"):
    return client.post(
        reverse("contract_new"),
        {"title": title, "file": pdf_file(data, name)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


@on_both_storages
def test_a_pdf_becomes_a_draft_with_its_sha256_and_previews(acme, login):
    data = pdf_pages(3, rotate=90)
    client = login(acme["member"], acme["company"])
    resp = _upload(client, data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    contract = Contract.objects.get()
    assert resp["Location"] == reverse("contract_detail", args=[contract.pk])
    assert (contract.company, contract.created_by, contract.title) == (
        acme["company"],
        acme["member"],
        "采购合同",
    )
    assert contract.state == "draft" and contract.order == "sequential"
    assert (contract.deadline - contract.created_at.date()).days in (29, 30, 31)
    version = contract.current_version()
    assert version.number == 1 and version.reason == "uploaded" and version.note == "合同.pdf"
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert version.size == len(data) and version.page_count == 3
    assert STORED.match(version.file.name), version.file.name
    with version.file.open("rb") as fh:
        assert fh.read() == data  # kept byte for byte
    # /Rotate 90 on an A4 portrait page: displayed landscape
    w, h = version.page_sizes[0]
    assert w > h and round(w) == 842 and round(h) == 595
    event = AuditEvent.objects.get(action="contract.created")
    assert event.company == acme["company"] and event.data["sha256"] == version.sha256

    # the preview task ran after the commit: every page at both widths, real PNGs
    version.refresh_from_db()
    assert version.preview_state == "ready" and version.preview_done == 3
    for page in (1, 2, 3):
        for width in (previews.THUMB, previews.PAGE):
            with default_storage.open(previews.preview_name(version.pk, width, page)) as f:
                img = Image.open(f)
                img.load()
            assert img.format == "PNG" and img.width == width
            assert img.height == previews.image_size(version, page, width)[1]
            assert img.height < img.width  # landscape, as displayed
    assert len(stored_names()) == 1 + 3 * 2


def test_a_large_upload_is_streamed_from_a_temporary_file(acme, login, settings):
    """Past FILE_UPLOAD_MAX_MEMORY_SIZE Django spools the upload to disk; it is hashed from there."""
    data = pdf_pages(2, padding=settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 300_000)
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    resp = _upload(login(acme["owner"], acme["company"]), data)
    assert resp.status_code == 302
    version = DocumentVersion.objects.get()
    assert version.sha256 == hashlib.sha256(data).hexdigest() and version.size == len(data)


def _qpdf_encrypted() -> bytes:
    src = pdf_pages(1)
    done = subprocess.run(
        ["qpdf", "--encrypt", "user", "owner", "256", "--", "-", "-"],
        input=src,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:  # older qpdf wants files
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as d:
            Path(d, "in.pdf").write_bytes(src)
            subprocess.run(
                ["qpdf", "--encrypt", "user", "owner", "256", "--", f"{d}/in.pdf", f"{d}/out.pdf"],
                check=True,
            )
            return Path(d, "out.pdf").read_bytes()
    return done.stdout


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buf, "PNG")
    return buf.getvalue()


REFUSALS = {
    "encrypted": (_qpdf_encrypted, "合同.pdf", "encrypted"),
    "owner-password": (lambda: _pdf(encrypt="owner-only"), "合同.pdf", "encrypted"),
    "truncated": (lambda: pdf_pages(3)[:900], "合同.pdf", "cannot be read"),
    "broken-xref": (
        lambda: pdf_pages(1)[: pdf_pages(1).rindex(b"startxref")] + b"startxref\n99999\n%%EOF\n",
        "合同.pdf",
        "damaged",
    ),
    "certified": (certified_pdf, "合同.pdf", "certified"),
    "certified-form-filling": (
        lambda: certified_pdf(no_changes=False),
        "合同.pdf",
        "certified by its author",
    ),
    "javascript": (lambda: _pdf(_javascript), "合同.pdf", "JavaScript"),
    "launch": (lambda: _pdf(_launch), "合同.pdf", "start programs"),
    "embedded-file": (lambda: _pdf(_embedded), "合同.pdf", "embedded or attached files"),
    "not-a-pdf-named-pdf": (lambda: b"<html><script>alert(1)</script></html>", "合同.pdf", "PDF"),
    "png": (_png, "scan.png", "Upload the contract as a PDF"),
    "zip-named-docx": (
        lambda: _zip({"hello.txt": b"hi"}),
        "合同.docx",
        "Upload the contract as a PDF",
    ),
}


def _zip(files: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in files.items():
            z.writestr(name, body)
    return buf.getvalue()


def _assert_nothing_kept(settings):
    assert Contract.objects.count() == 0
    assert DocumentVersion.objects.count() == 0
    assert media_files(settings.MEDIA_ROOT) == []
    assert not AuditEvent.objects.filter(action="contract.created").exists()


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_uploads_say_why_and_keep_nothing(case, acme, login, settings):
    make, name, expected = REFUSALS[case]
    client = login(acme["owner"], acme["company"])
    with __import__("django").utils.translation.override("en"):
        resp = client.post(
            reverse("contract_new"),
            {"title": "采购合同", "file": pdf_file(make(), name)},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert resp.status_code == 400
    body = resp.content.decode()
    assert expected.lower() in body.lower(), re.findall(r'class="errorlist".*?</ul>', body, re.S)
    _assert_nothing_kept(settings)


def test_refusals_are_in_chinese_too(acme, login, settings):
    client = login(acme["owner"], acme["company"])
    resp = client.post(
        reverse("contract_new"),
        {"title": "采购合同", "file": pdf_file(certified_pdf())},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert resp.status_code == 400
    errors = "".join(re.findall(r'class="errorlist"[^>]*>(.*?)</ul>', resp.content.decode(), re.S))
    assert re.search(r"[\u4e00-\u9fff]", errors) and "certified" not in errors, errors
    _assert_nothing_kept(settings)


def test_too_many_pages_and_too_large(acme, login, settings):
    client = login(acme["owner"], acme["company"])
    settings.CHOP_CONTRACT_MAX_PAGES = 3
    resp = _upload(client, pdf_pages(4))
    assert resp.status_code == 400 and "at most 3" in resp.content.decode()
    settings.CHOP_CONTRACT_MAX_PAGES = 2000
    settings.CHOP_CONTRACT_MAX_BYTES = 1024 * 1024
    resp = _upload(client, pdf_pages(1, padding=1_100_000))
    assert resp.status_code == 400 and "the limit is 1 MB" in resp.content.decode()
    _assert_nothing_kept(settings)


def test_a_failing_insert_deletes_the_stored_file(acme, login, settings, monkeypatch):
    """The file is written before its row; if the transaction fails after, the file goes too."""
    from chop.contracts import documents

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(documents, "record", broken)
    client = login(acme["owner"], acme["company"])
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        _upload(client, pdf_pages(2))
    _assert_nothing_kept(settings)


def test_word_without_libreoffice_is_refused_clearly(acme, login, settings, monkeypatch):
    monkeypatch.setattr(convert, "soffice", lambda: None)
    client = login(acme["owner"], acme["company"])
    page = client.get(reverse("contract_new"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="no-converter"' in page and "need LibreOffice" in page
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    resp = client.post(
        reverse("contract_new"),
        {"title": "劳动合同", "file": pdf_file(docx, "劳动合同.docx")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 400
    assert "need LibreOffice on the server" in resp.content.decode()
    _assert_nothing_kept(settings)


def test_personal_space_cannot_start_a_contract(acme, login):
    client = login(acme["owner"])  # personal space
    assert client.get(reverse("contract_new")).status_code == 403
    resp = client.post(reverse("contract_new"), {"title": "x", "file": pdf_file(pdf_pages(1))})
    assert resp.status_code == 403
    assert Contract.objects.count() == 0


# --- conversion with LibreOffice ------------------------------------------------------------------

TEXT = "Chop contract conversion 2026"
RTF = (
    r"{\rtf1\ansi\deff0{\fonttbl{\f0 Liberation Serif;}}\f0\fs28 "
    + TEXT
    + r"\par \u30002?\u26041?\u65288?\u30422?\u31456?\u65289?\par}"
).encode("ascii")


@pytest.fixture(scope="module")
def office_files(tmp_path_factory) -> dict[str, bytes]:
    """A real .rtf, and the .docx and .odt LibreOffice itself makes from it."""
    if not convert.soffice():
        pytest.fail("LibreOffice is required: scripts/system-deps.sh test installs it")
    work = tmp_path_factory.mktemp("office")
    (work / "source.rtf").write_bytes(RTF)
    files = {"rtf": RTF}
    for fmt, filt in (("docx", "docx:MS Word 2007 XML"), ("odt", "odt")):
        subprocess.run(
            [
                shutil.which("soffice") or "soffice",
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                filt,
                "--outdir",
                str(work),
                str(work / "source.rtf"),
            ],
            check=True,
            capture_output=True,
            timeout=120,
            env={"HOME": str(work), "PATH": "/usr/bin:/bin"},
        )
        files[fmt] = (work / f"source.{fmt}").read_bytes()
    return files


@pytest.mark.parametrize("fmt", ["docx", "odt", "rtf"])
def test_office_documents_are_converted_to_pdf(fmt, office_files, acme, login, settings):
    client = login(acme["owner"], acme["company"])
    resp = _upload(client, office_files[fmt], name=f"合同.{fmt}", title=f"{fmt} 合同")
    assert resp.status_code == 302, resp.content.decode()[-3000:]
    version = DocumentVersion.objects.get()
    assert version.source_format == fmt and version.reason == "converted"
    assert version.note == f"合同.{fmt}"
    with version.file.open("rb") as fh:
        pdf = fh.read()
    assert pdf.startswith(b"%PDF-")
    assert version.sha256 == hashlib.sha256(pdf).hexdigest()
    doc = pdfium.PdfDocument(pdf)
    try:
        text = doc[0].get_textpage().get_text_range()
    finally:
        doc.close()
    assert TEXT in text
    assert "甲方（盖章）" in text
    assert media_files(settings.MEDIA_ROOT)[0].startswith("contracts/")


def test_a_damaged_word_file_is_refused(office_files, acme, login, settings):
    data = office_files["docx"]
    broken = data[: len(data) // 3]  # a truncated ZIP is not recognised as a Word file at all
    client = login(acme["owner"], acme["company"])
    resp = _upload(client, broken, name="坏.docx")
    assert resp.status_code == 400
    ole_garbage = convert.OLE2 + b"\x00" * 2000  # looks like .doc, LibreOffice cannot read it
    resp = _upload(client, ole_garbage, name="坏.doc")
    assert resp.status_code == 400
    assert "could not be converted" in resp.content.decode() or "PDF" in resp.content.decode()
    _assert_nothing_kept(settings)
