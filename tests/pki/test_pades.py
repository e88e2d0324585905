"""The CA's signer, TSA and validation context are enough for PAdES B-T and B-LT with pyHanko.

The pdfsign package owns PDF signing; this only proves the PKI half fits: a B-LT signature made
with ``ca.signer`` + ``ca.timestamper`` + ``ca.validation_context`` carries enough revocation data
to validate later with nothing but the root, no network and no running server.
"""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from .conftest import to_asn1


def blank_pdf() -> io.BytesIO:
    w = PdfFileWriter()
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, 595, 842)]
            ),
        }
    )
    w.insert_page(page)
    buf = io.BytesIO()
    w.write(buf)
    buf.seek(0)
    return buf


def sign(ca, serial, *, lt: bool) -> PdfFileReader:
    meta = signers.PdfSignatureMetadata(
        field_name="Seal",
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=lt,
        validation_context=ca.validation_context() if lt else None,
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(blank_pdf()),
        meta,
        signer=ca.signer(serial),
        timestamper=ca.timestamper(),
    )
    return PdfFileReader(out)


@pytest.mark.parametrize("which", ["ca", "p256_ca"])
def test_b_t_signature_validates_against_platform_root(request, which):
    ca = request.getfixturevalue(which)
    cred = ca.issue_company("北京测试科技有限公司", "91350100M000100Y43")
    reader = sign(ca, cred.serial, lt=False)
    status = validate_pdf_signature(reader.embedded_signatures[0], ca.validation_context())
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert status.signing_cert.serial_number == cred.serial


def test_b_lt_validates_offline_from_embedded_revocation_info(ca):
    cred = ca.issue_company("北京测试科技有限公司", "91350100M000100Y43")
    reader = sign(ca, cred.serial, lt=True)
    sig = reader.embedded_signatures[0]
    # DSS holds CRLs/OCSP responses produced by the CA in-process
    dss = reader.root["/DSS"]
    assert len(dss.get("/OCSPs", [])) + len(dss.get("/CRLs", [])) >= 2

    # validate with nothing but the root and what the PDF carries: hard-fail, no fetching
    dss_context = DocumentSecurityStore.read_dss(reader).as_validation_context(
        {"trust_roots": [to_asn1(ca.root_certificate)], "revocation_mode": "hard-fail"}
    )
    status = validate_pdf_signature(sig, dss_context)
    assert status.intact and status.valid and status.trusted

    # without the DSS the same hard-fail validation fails: the embedded data is what makes it
    # pass (so the assertion above cannot pass for a trivial reason)
    bare = ValidationContext(
        trust_roots=[to_asn1(ca.root_certificate)], revocation_mode="hard-fail", crls=[], ocsps=[]
    )
    assert not validate_pdf_signature(sig, bare).trusted

    # and once the certificate is revoked, the CA's own context says so
    ca.revoke(cred.serial, "key_compromise")
    assert not validate_pdf_signature(sig, ca.validation_context()).trusted
