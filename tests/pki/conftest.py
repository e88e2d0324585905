"""Session-scoped CAs and credentials: RSA key generation is the slow part, so do it once.

Tests that change state (revocations) issue their own certificates from the shared CA, so the
fixtures below stay good for every test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from chop.pki import Credential, PlatformCA
from chop.pki.http import serve_in_thread
from chop.pki.names import uscc_check_char

KEK = "correct horse battery staple"
SITE = "https://chop.test"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"

# A well-formed 统一社会信用代码 (check character computed, not guessed).
USCC = "91110108MA01" + "ABCDE"
USCC += uscc_check_char(USCC)
COMPANY = "北京测试科技有限公司"
PERSON = "张三"
ID_NUMBER = "11010519491231002X"


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@pytest.fixture(scope="session")
def ca_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pki") / "ca"


@pytest.fixture(scope="session")
def ca(ca_dir) -> PlatformCA:
    return PlatformCA.init(ca_dir, KEK, site_url=SITE + "/")


@pytest.fixture(scope="session")
def company(ca) -> Credential:
    return ca.issue_company(COMPANY, USCC)


@pytest.fixture(scope="session")
def person(ca) -> Credential:
    return ca.issue_person(PERSON, ID_NUMBER)


@contextmanager
def serving(ca: PlatformCA, port: int = 0) -> Iterator[str]:
    """Serve ``ca``'s HTTP endpoints (CRL, OCSP, TSA, certificates) on 127.0.0.1 while inside;
    yields the base URL. ``port`` is fixed when the CA's SITE_URL must name it in advance."""
    srv = serve_in_thread(ca, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="session")
def server(ca) -> Iterator[str]:
    """The shared CA served over HTTP: the base URL."""
    with serving(ca) as url:
        yield url


@pytest.fixture(scope="session")
def p256_ca(tmp_path_factory) -> PlatformCA:
    return PlatformCA.init(tmp_path_factory.mktemp("pki-ec") / "ca", KEK, key_type="p256")


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory):
    """A fresh SoftHSM2 token in a temp dir; yields (module, label, pin).

    Session-scoped because a PKCS#11 module reads SOFTHSM2_CONF once, when first loaded.
    """
    if not (shutil.which("softhsm2-util") and Path(SOFTHSM_MODULE).exists()):
        pytest.fail("SoftHSM2 is missing: `make test` installs Debian's softhsm2 package")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "chop-test"]
        + ["--so-pin", "87654321", "--pin", "123456"],
        check=True,
        capture_output=True,
    )
    yield SOFTHSM_MODULE, "chop-test", "123456"
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old
