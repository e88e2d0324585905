"""PDFs for the verification page's tests: signed on Chop, signed elsewhere, tampered, refused."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import tempfile
from pathlib import Path

from tests.support.pdfsign_testing import make_pdf


def chop_signed(w, tmp_path: Path):
    """A two-party contract signed by both parties through the signing act: (contract, path)."""
    from tests.contracts.signing_support import latest_file, sign_as
    from tests.contracts.test_signing_act import two_party_contract

    contract, pa, pb = two_party_contract(w)
    sign_as(pa, w["a_keeper"])
    pb.refresh_from_db()
    sign_as(pb, w["b_owner"])
    contract.refresh_from_db()
    return contract, latest_file(contract, tmp_path)


def foreign_signed() -> bytes:
    """A PDF signed by pyHanko's own signer with a self-made key and certificate (no Chop)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Elsewhere Signer"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Elsewhere Trading Ltd"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as d:
        cert_path = Path(d, "cert.pem")
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        signing_cert = load_cert_from_pemder(str(cert_path))
    signing_key = load_private_key_from_pemder_data(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        passphrase=None,
    )
    signer = signers.SimpleSigner(
        signing_cert=signing_cert,
        signing_key=signing_key,
        cert_registry=SimpleCertificateStore.from_certs([signing_cert]),
    )
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(make_pdf(1)))
    signers.sign_pdf(
        writer, signers.PdfSignatureMetadata(field_name="Elsewhere"), signer, output=out
    )
    return out.getvalue()


def tampered(data: bytes) -> bytes:
    """``data`` with one byte changed inside the first signature's signed range: a digit of the
    first page's MediaBox, so the file still parses and only the signed bytes differ."""
    at = data.index(b"/MediaBox")
    digit = next(i for i in range(at, at + 40) if data[i : i + 1].isdigit() and data[i] != 0x30)
    swapped = b"1" if data[digit : digit + 1] != b"1" else b"2"
    return data[:digit] + swapped + data[digit + 1 :]


def encrypted() -> bytes:
    src = make_pdf(1)
    with tempfile.TemporaryDirectory() as d:
        Path(d, "in.pdf").write_bytes(src)
        subprocess.run(
            ["qpdf", "--encrypt", "user", "owner", "256", "--", f"{d}/in.pdf", f"{d}/out.pdf"],
            check=True,
            capture_output=True,
        )
        return Path(d, "out.pdf").read_bytes()


def with_javascript() -> bytes:
    """A PDF whose catalogue runs JavaScript when opened."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(make_pdf(1)))
    js = generic.DictionaryObject(
        {
            generic.NameObject("/S"): generic.NameObject("/JavaScript"),
            generic.NameObject("/JS"): generic.TextStringObject("app.alert('hi')"),
        }
    )
    writer.root[generic.NameObject("/OpenAction")] = writer.add_object(js)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def html_polyglot() -> bytes:
    """An HTML page with a PDF after it: what a browser would run, never a PDF by its bytes."""
    return b"<html><script>alert(1)</script><!--\n" + make_pdf(1) + b"\n-->"
