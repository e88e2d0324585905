"""``chop.pdfsign.precheck``: the engine's own refusals, asked at upload time, and the displayed
page sizes it reports; the version numbers the database keeps unique."""

from __future__ import annotations

import io

import pytest
from django.db import IntegrityError, transaction

from chop.contracts.models import DocumentVersion
from chop.pdfsign import EncryptedPdfError, MalformedPdfError, PdfSignError
from chop.pdfsign.precheck import check_signable

from .conftest import certified_pdf, pdf_pages


def test_sizes_follow_rotation_and_cropbox():
    portrait = check_signable(pdf_pages(2))
    assert portrait.page_count == 2
    assert [round(v) for v in portrait.page_sizes[0]] == [595, 842]
    turned = check_signable(io.BytesIO(pdf_pages(1, rotate=270)))
    assert [round(v) for v in turned.page_sizes[0]] == [842, 595]
    cropped = check_signable(pdf_pages(1, crop_box=(50, 50, 350, 450)))
    assert [round(v) for v in cropped.page_sizes[0]] == [300, 400]


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (lambda: certified_pdf(), PdfSignError, "certified_no_changes"),
        (lambda: certified_pdf(no_changes=False), PdfSignError, "certified_document"),
        (lambda: pdf_pages(2)[:600], MalformedPdfError, None),
        (lambda: b"not a pdf at all", MalformedPdfError, None),
    ],
)
def test_refusals_carry_the_signing_codes(data, error, code):
    with pytest.raises(error) as exc:
        check_signable(data())
    if code:
        assert exc.value.code == code


def test_encrypted_is_refused(tmp_path):
    import subprocess

    src = tmp_path / "in.pdf"
    src.write_bytes(pdf_pages(1))
    out = tmp_path / "enc.pdf"
    subprocess.run(["qpdf", "--encrypt", "u", "o", "256", "--", src, out], check=True)
    with pytest.raises(EncryptedPdfError):
        check_signable(out)


@pytest.mark.django_db
def test_version_numbers_are_unique_per_contract_in_the_database(acme):
    from chop.contracts import documents

    from .conftest import pdf_file

    contract = documents.create_draft(
        company=acme["company"], user=acme["owner"], title="t", upload=pdf_file(pdf_pages(1))
    )
    v1 = contract.current_version()
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentVersion.objects.create(
            contract=contract, number=1, file=v1.file.name, sha256="0" * 64, size=1, page_count=1
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentVersion.objects.create(
            contract=contract, number=0, file=v1.file.name, sha256="0" * 64, size=1, page_count=1
        )
    assert list(contract.versions.values_list("number", flat=True)) == [1]
