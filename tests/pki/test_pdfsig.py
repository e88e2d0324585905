"""An independent validator: poppler's pdfsig (NSS) trusts our signatures given the root, and its
online OCSP check against our responder sees a revocation.

NSS checks things pyHanko does not (e.g. it wants emailProtection in a signer's EKU), so this is
the test that keeps the certificate profile acceptable to the validators users actually run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from chop.pki import PlatformCA
from chop.pki.http import make_server

from .conftest import COMPANY, KEK, USCC
from .test_pades import sign


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_ca(tmp_path_factory):
    """A CA whose SITE_URL is a live local server, so OCSP URLs in its certificates answer."""
    import threading

    port = _free_port()
    ca = PlatformCA.init(
        tmp_path_factory.mktemp("pki-pdfsig") / "ca",
        KEK,
        key_type="p256",
        site_url=f"http://127.0.0.1:{port}",
    )
    server = make_server(ca, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield ca
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def nssdb(served_ca, tmp_path_factory):
    if not shutil.which("pdfsig"):
        pytest.fail("pdfsig is missing: `make test` installs Debian's poppler-utils")
    if not shutil.which("certutil"):
        pytest.skip("certutil (Debian libnss3-tools) is needed to make an NSS db trusting the root")
    db = tmp_path_factory.mktemp("nssdb")
    root = db / "root.pem"
    root.write_bytes(served_ca.root_certificate.public_bytes(serialization.Encoding.PEM))
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{db}", "-n", "chop-root", "-t", "C,C,C", "-i", root],
        check=True,
    )
    return f"sql:{db}"


def pdfsig(path, *args: str) -> dict[str, str]:
    out = subprocess.run(
        ["pdfsig", *args, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(path.parent)},
    ).stdout
    lines = [line.strip().lstrip("- ") for line in out.splitlines() if ":" in line]
    return dict(line.split(": ", 1) for line in lines if ": " in line)


@pytest.mark.parametrize("lt", [False, True], ids=["B-T", "B-LT"])
def test_pdfsig_trusts_signature_given_root_and_sees_revocation(served_ca, nssdb, tmp_path, lt):
    cred = served_ca.issue_company(COMPANY, USCC)
    reader = sign(served_ca, cred.serial, lt=lt)
    reader.stream.seek(0)
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(reader.stream.read())

    untrusted = pdfsig(pdf, "-no-ocsp")  # the user's default NSS db knows nothing of our root
    assert untrusted["Signature Validation"] == "Signature is Valid."
    assert untrusted["Certificate Validation"] == "Certificate issuer isn't Trusted."

    offline = pdfsig(pdf, "-nssdir", nssdb, "-no-ocsp")
    assert offline["Signature Validation"] == "Signature is Valid."
    assert offline["Certificate Validation"] == "Certificate is Trusted."
    assert offline["Signer Certificate Common Name"] == COMPANY

    # online: pdfsig asks our OCSP responder (the URL in the certificate's AIA)
    assert pdfsig(pdf, "-nssdir", nssdb)["Certificate Validation"] == "Certificate is Trusted."
    served_ca.revoke(cred.serial, "key_compromise")
    assert pdfsig(pdf, "-nssdir", nssdb)["Certificate Validation"] == (
        "Certificate has been Revoked."
    )
