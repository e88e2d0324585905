"""Awkward input: each signs correctly, or fails with a clear PdfSignError and writes nothing."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tracemalloc
import zlib

import pytest

from chop import pdfsign as ps
from tests.support.pdfsign_testing import make_pdf


def _sign(src, out, signer, seal):
    return ps.sign(
        src, out, signer=signer, marks=[ps.SingleMark(seal, 1, 20, 20), ps.RidingMark(seal)]
    )


def _assert_nothing_written(tmp_path, keep):
    left = sorted(p.name for p in tmp_path.iterdir() if p.name not in keep)
    assert left == [], left


@pytest.fixture
def qpdf():
    if not shutil.which("qpdf"):
        pytest.fail("qpdf is required")
    return lambda *args: subprocess.run(["qpdf", *map(str, args)], check=True)


def test_encrypted_pdf_is_refused(contract, tmp_path, signer_a, seal, qpdf):
    enc = tmp_path / "enc.pdf"
    qpdf("--encrypt", "user", "owner", "256", "--", contract, enc)
    with pytest.raises(ps.EncryptedPdfError, match="encrypted"):
        _sign(enc, tmp_path / "out.pdf", signer_a, seal)
    _assert_nothing_written(tmp_path, {"contract.pdf", "enc.pdf"})


@pytest.mark.parametrize("damage", ["truncated", "broken-xref", "not-a-pdf", "empty"])
def test_malformed_pdf_is_refused(contract, tmp_path, signer_a, seal, damage):
    data = contract.read_bytes()
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "broken-xref":
        i = data.rindex(b"startxref")
        data = data[:i] + b"startxref\n999999\n%%EOF\n"
    elif damage == "not-a-pdf":
        data = b"<html>this is not a PDF</html>\n"
    else:
        data = b""
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(data)
    with pytest.raises(ps.MalformedPdfError) as exc:
        _sign(bad, tmp_path / "out.pdf", signer_a, seal)
    assert "PDF" in str(exc.value) or "pdf" in str(exc.value)
    assert isinstance(exc.value, ValueError)
    _assert_nothing_written(tmp_path, {"contract.pdf", "bad.pdf"})


@pytest.mark.parametrize("flavour", ["object-streams", "linearized"])
def test_xref_stream_and_linearized_inputs(
    contract, tmp_path, signer_a, seal, qpdf, flavour, assert_signed_ok
):
    src = tmp_path / "in.pdf"
    if flavour == "object-streams":
        qpdf("--object-streams=generate", contract, src)
    else:
        qpdf("--linearize", contract, src)
    out = tmp_path / "out.pdf"
    _sign(src, out, signer_a, seal)
    assert_signed_ok(out, 1)
    if flavour == "object-streams":
        # the update uses a cross-reference stream like the original
        assert b"/Type /XRef" in out.read_bytes()[src.stat().st_size :]


def _hybrid(base: bytes) -> bytes:
    """Append an update whose classic xref table points at an /XRefStm (a hybrid file)."""
    size = int(base[base.rindex(b"/Size") + 6 :].split()[0])
    prev = int(base[base.rindex(b"startxref") + 9 :].split()[0])
    info, objstm, xrs = size, size + 1, size + 2
    inner = b"<< /Title (Hybrid) /Producer (test) >>"
    header = b"%d 0 " % info
    stm_data = header + inner
    out = bytearray(base)
    objstm_off = len(out)
    out += (
        b"%d 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (objstm, len(header), len(stm_data), stm_data)
    )
    xrs_off = len(out)
    rows = b"\x02" + objstm.to_bytes(4, "big") + b"\x00\x00"
    rows += b"\x01" + objstm_off.to_bytes(4, "big") + b"\x00\x00"
    comp = zlib.compress(rows)
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%d 2] /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (xrs, xrs + 1, info, len(comp), comp)
    )
    xref_off = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n" % (
        objstm,
        objstm_off,
        xrs,
        xrs_off,
    )
    root = re.search(rb"/Root \d+ \d+ R", base).group(0)
    out += (
        b"trailer\n<< /Size %d %s /Info %d 0 R /Prev %d /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n"
        % (xrs + 1, root, info, prev, xrs_off, xref_off)
    )
    return bytes(out)


def test_hybrid_xref_input(contract, tmp_path, signer_a, seal, assert_signed_ok):
    src = tmp_path / "hybrid.pdf"
    src.write_bytes(_hybrid(contract.read_bytes()))
    subprocess.run(["qpdf", "--check", str(src)], check=True, capture_output=True)
    out = tmp_path / "out.pdf"
    _sign(src, out, signer_a, seal)
    assert_signed_ok(out, 1)


def test_already_signed_by_someone_else(
    contract, tmp_path, signer_a, company_b, seal, pki, assert_signed_ok
):
    """A PDF signed elsewhere (pyHanko's own signer, visible field) keeps its signature valid."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    w = IncrementalPdfFileWriter(io.BytesIO(contract.read_bytes()))
    theirs = io.BytesIO()
    signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="OtherParty"),
        signer=company_b.signer(),
        new_field_spec=fields.SigFieldSpec("OtherParty", box=(300, 600, 500, 680)),
    ).sign_pdf(w, output=theirs)
    src = tmp_path / "theirs.pdf"
    src.write_bytes(theirs.getvalue())
    out = tmp_path / "out.pdf"
    res = _sign(src, out, signer_a, seal)
    assert res.field_name == "Signature2"
    report = assert_signed_ok(out, 2)
    assert report.signatures[0].field_name == "OtherParty"
    assert report.signatures[0].modification_level == "form-filling"


def test_certified_no_changes_is_refused(contract, tmp_path, signer_a, company_b, seal):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import MDPPerm

    w = IncrementalPdfFileWriter(io.BytesIO(contract.read_bytes()))
    certified = io.BytesIO()
    signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name="Cert", certify=True, docmdp_permissions=MDPPerm.NO_CHANGES
        ),
        signer=company_b.signer(),
    ).sign_pdf(w, output=certified)
    src = tmp_path / "cert.pdf"
    src.write_bytes(certified.getvalue())
    with pytest.raises(ps.PdfSignError, match="no changes allowed"):
        _sign(src, tmp_path / "out.pdf", signer_a, seal)
    _assert_nothing_written(tmp_path, {"contract.pdf", "cert.pdf"})


def test_large_file_is_streamed(tmp_path, signer_a, seal, assert_signed_ok):
    """A 40 MB PDF is copied and hashed in chunks: Python memory stays far below its size."""
    big = make_pdf(2, padding=41_000_000)
    src = tmp_path / "big.pdf"
    src.write_bytes(big)
    subprocess.run(["qpdf", "--check", str(src)], check=True, capture_output=True)
    out = tmp_path / "out.pdf"
    tracemalloc.start()
    try:
        _sign(src, out, signer_a, seal)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert src.stat().st_size > 40_000_000
    assert peak < 8_000_000, peak
    assert_signed_ok(out, 1)


def test_dangling_acroform_reference_gets_a_fresh_form(tmp_path, signer_a, seal, assert_signed_ok):
    data = make_pdf(1, catalog_extra=b" /AcroForm 99 0 R")
    src = tmp_path / "form.pdf"
    src.write_bytes(data)
    out = tmp_path / "out.pdf"
    ps.sign(src, out, signer=signer_a, marks=[ps.SingleMark(seal, 1, 20, 20)])
    assert_signed_ok(out, 1)
    assert b"99 0 obj" not in out.read_bytes()


def test_certified_form_filling_is_refused(contract, tmp_path, signer_a, company_b, seal):
    """DocMDP P=2 allows signing existing fields only; a new seal field would break it."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import MDPPerm

    w = IncrementalPdfFileWriter(io.BytesIO(contract.read_bytes()))
    certified = io.BytesIO()
    signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name="Cert", certify=True, docmdp_permissions=MDPPerm.FILL_FORMS
        ),
        signer=company_b.signer(),
    ).sign_pdf(w, output=certified)
    src = tmp_path / "cert.pdf"
    src.write_bytes(certified.getvalue())
    with pytest.raises(ps.PdfSignError, match="certified"):
        ps.sign(src, tmp_path / "one.pdf", signer=signer_a, marks=[ps.SingleMark(seal, 1, 20, 20)])
    _assert_nothing_written(tmp_path, {"contract.pdf", "cert.pdf"})
