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

from .conftest import COMPANY, KEK, USCC, serving
from .test_pades import sign


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_ca(tmp_path_factory):
    """A CA whose SITE_URL is a live local server, so OCSP URLs in its certificates answer."""
    port = _free_port()
    ca = PlatformCA.init(
        tmp_path_factory.mktemp("pki-pdfsig") / "ca",
        KEK,
        key_type="p256",
        site_url=f"http://127.0.0.1:{port}",
    )
    with serving(ca, port):
        yield ca


@pytest.fixture(scope="module")
def nssdb(served_ca, nss_db) -> str:
    return nss_db(served_ca.root_certificate.public_bytes(serialization.Encoding.PEM))


def pdfsig(path, *args: str) -> dict[str, str]:
    if not shutil.which("pdfsig"):
        pytest.fail("pdfsig is missing: `make test` installs Debian's poppler-utils")
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
