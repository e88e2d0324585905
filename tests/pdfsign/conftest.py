"""Fixtures for the PDF engine: one throw-away PKI per session, seals, and independent checkers.

Every signed PDF a test produces goes through ``assert_signed_ok``: poppler's ``pdfsig`` must say
"Signature is Valid" for each signature, ``qpdf --check`` must be clean, and pyHanko's validator
(through ``chop.pdfsign.verify``, with the test root as the only trust anchor) must find every
signature intact, valid and trusted.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.pdfsign_testing import TestPKI, demo_seal, demo_seal_png, make_pdf

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdfsign"


class PlatformPKI:
    """The platform CA (``chop.pki``) behind the small interface the tests use."""

    def __init__(self, ca) -> None:
        self.ca = ca
        self.root_certificate = ca.root_certificate

    def root_pem(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.root_certificate.public_bytes(Encoding.PEM)

    def timestamper(self):
        return self.ca.timestamper()

    def issue_company(self, name: str, uscc: str) -> PlatformIdentity:
        return PlatformIdentity(self.ca, self.ca.issue_company(name, uscc))

    def issue_person(self, name: str, id_number: str) -> PlatformIdentity:
        return PlatformIdentity(self.ca, self.ca.issue_person(name, id_number))


class PlatformIdentity:
    def __init__(self, ca, cred) -> None:
        self.ca, self.cred = ca, cred
        self.serial = cred.serial
        self.certificate = cred.certificate

    def signer(self):
        return self.ca.signer(self.serial)

    def pkcs12(self, password: bytes) -> bytes:
        return self.ca.export_pkcs12(self.serial, password)


@pytest.fixture(scope="session", autouse=True)
def fast_reader():
    """pyHanko with the engine's fast hex-string reader, as the app, CLI and bench run it."""
    from chop.pdfsign import install_fast_reader

    install_fast_reader()


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The platform CA when ``chop.pki`` is importable, else a throw-away test PKI."""
    try:
        from chop.pki import PlatformCA
    except ImportError:
        return TestPKI()
    ca = PlatformCA.init(
        tmp_path_factory.mktemp("pdfsign-pki") / "ca", "test kek", site_url="https://chop.test/"
    )
    return PlatformPKI(ca)


@pytest.fixture(scope="session")
def company_a(pki):
    return pki.issue_company("甲方科技有限公司", "9144030071526726XG")


@pytest.fixture(scope="session")
def company_b(pki):
    return pki.issue_company("乙方贸易有限公司", "91110000600037341L")


@pytest.fixture(scope="session")
def person(pki):
    return pki.issue_person("张三", "11010519491231002X")


@pytest.fixture(scope="session")
def signer_a(company_a):
    return company_a.signer()


@pytest.fixture(scope="session")
def signer_b(company_b):
    return company_b.signer()


@pytest.fixture(scope="session")
def signer_p(person):
    return person.signer()


@pytest.fixture(scope="session")
def tsa(pki):
    return pki.timestamper()


@pytest.fixture(scope="session")
def seal():
    return demo_seal(40)


@pytest.fixture(scope="session")
def png_seal():
    from chop.pdfsign import SealAppearance

    return SealAppearance.from_png(demo_seal_png(), 40, 40)


@pytest.fixture
def contract(tmp_path) -> Path:
    """A 4-page contract with "Party A (Seal)" and "甲方（盖章）" on the last page."""
    p = tmp_path / "contract.pdf"
    p.write_bytes(
        make_pdf(
            4,
            texts={
                0: [(72, 700, "Contract No. 2026-001")],
                3: [(90, 200, "Party A (Seal)"), (330, 200, "甲方（盖章）")],
            },
        )
    )
    return p


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pdfsig_valid_count(path: Path) -> tuple[int, str]:
    if not shutil.which("pdfsig"):
        pytest.fail("pdfsig (poppler-utils) is required for these tests")
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    text = out.stdout + out.stderr
    return len(re.findall(r"Signature Validation: Signature is Valid\.", text)), text


def qpdf_check(path: Path) -> str:
    out = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No syntax or stream encoding errors found" in out.stdout, out.stdout
    return out.stdout


@pytest.fixture
def assert_signed_ok(pki):
    """``assert_signed_ok(path, n)``: pdfsig, qpdf and pyHanko all accept all n signatures."""
    from chop.pdfsign import verify

    def check(path: Path, n: int):
        count, text = pdfsig_valid_count(path)
        assert count == n, text
        qpdf_check(path)
        report = verify(path, [pki.root_certificate])
        sigs = [s for s in report.signatures if s.kind == "signature"]
        assert len(sigs) == n, report.to_dict()
        for s in report.signatures:
            assert s.intact and s.valid and s.trusted, s
            assert not s.problems, s.problems
            assert s.modification_level in ("none", "lta-updates", "form-filling"), s
        assert report.verdict == "valid", report.summary
        return report

    return check


def render(path: Path, page: int = 0, scale: float = 1.0):
    """Render a page as displayed (rotation and crop box applied), annotations and forms drawn."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    pdf.init_forms()
    try:
        return pdf[page].render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
    finally:
        pdf.close()


def red_ink_bbox(img) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1) of clearly red pixels in a rendered page."""
    import numpy as np

    a = np.asarray(img).astype(int)
    mask = (a[..., 0] > 150) & (a[..., 1] < 110) & (a[..., 2] < 110)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


PX_PER_MM = 4


def ink_mm(path: Path, page: int = 0) -> tuple[float, float, float, float] | None:
    """Where the red ink is on a displayed page, in mm from the top-left (4 px per mm)."""
    box = red_ink_bbox(render(path, page, scale=PX_PER_MM * 25.4 / 72))
    return None if box is None else tuple(v / PX_PER_MM for v in box)


@pytest.fixture(scope="session")
def nssdb(pki, nss_db) -> str:
    """An NSS database trusting the test root, so pdfsig can say "Certificate is Trusted"."""
    return nss_db(pki.root_pem())


def pdfsig_trusted_count(path: Path, nssdb: str) -> tuple[int, str]:
    """How many signatures pdfsig finds valid *and* trusted (offline, root from ``nssdb``)."""
    out = subprocess.run(
        ["pdfsig", "-nssdir", nssdb, "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    text = out.stdout + out.stderr
    return len(re.findall(r"Certificate Validation: Certificate is Trusted\.", text)), text
