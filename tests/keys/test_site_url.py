"""SITE_URL follows the port `make run PORT=…` serves on unless it is set (issue 8, item 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _settings_site_url(tmp_path, **env_vars) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "CHOP_HOST", "CHOP_PORT")}
    env.pop("PORT", None)
    env.update(env_vars, CHOP_VAR_DIR=str(tmp_path / "var"))
    out = subprocess.run(
        [sys.executable, "-c", "import chop.settings as s; print(s.SITE_URL)"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize(
    ("env_vars", "expected"),
    [
        ({"CHOP_PORT": "8100"}, "http://127.0.0.1:8100"),
        ({"PORT": "8100"}, "http://127.0.0.1:8100"),
        ({"CHOP_HOST": "0.0.0.0", "CHOP_PORT": "8100"}, "http://127.0.0.1:8100"),
        ({"CHOP_HOST": "::1", "CHOP_PORT": "8100"}, "http://[::1]:8100"),
        ({}, "http://127.0.0.1:8000"),
        ({"CHOP_PORT": "8100", "SITE_URL": "https://chop.example/"}, "https://chop.example"),
    ],
)
def test_site_url_is_derived_from_host_and_port(tmp_path, env_vars, expected):
    assert _settings_site_url(tmp_path, **env_vars) == expected


def test_make_run_passes_host_and_port_to_the_environment():
    makefile = (ROOT / "Makefile").read_text()
    assert "run: export CHOP_HOST = $(HOST)" in makefile
    assert "run: export CHOP_PORT = $(PORT)" in makefile
    assert 'echo "Serving on http://$(HOST):$(PORT)/' not in makefile  # the banner is the app's


@pytest.mark.django_db
def test_certificates_issued_after_a_port_change_point_at_the_new_port(settings):
    """A CA made on port 8000 (the first `make run`), then the site served on 8100."""
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

    from chop.pkistate.store import DatabaseCAStore
    from chop.seals import issuance

    settings.SITE_URL = "http://127.0.0.1:8000"
    issuance.forget_platform_ca()
    try:
        issuance.platform_ca()  # the CA now says 8000
        assert DatabaseCAStore().read_config()["site_url"] == "http://127.0.0.1:8000"
        settings.SITE_URL = "http://127.0.0.1:8100"
        cert = issuance.platform_ca().issue_company("深圳示例有限公司", "9144030071526726XG")
    finally:
        issuance.forget_platform_ca()  # the configuration rolls back with the test
    crl = cert.certificate.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS)
    aia = cert.certificate.extensions.get_extension_for_oid(
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS
    )
    crl_urls = [n.value for dp in crl.value for n in dp.full_name]
    ocsp_urls = [
        d.access_location.value
        for d in aia.value
        if d.access_method == AuthorityInformationAccessOID.OCSP
    ]
    assert crl_urls == ["http://127.0.0.1:8100/pki/issuing.crl"]
    assert ocsp_urls == ["http://127.0.0.1:8100/pki/ocsp"]
    assert DatabaseCAStore().read_config()["site_url"] == "http://127.0.0.1:8100"
    assert isinstance(cert.certificate, x509.Certificate)
