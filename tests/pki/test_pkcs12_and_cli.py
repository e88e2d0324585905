"""PKCS#12 export, and the ``python -m chop.pki`` command line end to end."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers import SimpleSigner

from chop.pki import PlatformCA
from chop.pki.cli import main

from .conftest import COMPANY, ID_NUMBER, KEK, PERSON, USCC


def test_pkcs12_export_loads_with_password_only(ca, company):
    blob = ca.export_pkcs12(company.serial, b"s3cret-pw")
    key, cert, extra = pkcs12.load_key_and_certificates(blob, b"s3cret-pw")
    assert cert == company.certificate
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert extra == [ca.issuing_certificate, ca.root_certificate]
    for wrong in (b"wrong", None, b""):
        with pytest.raises(ValueError):
            pkcs12.load_key_and_certificates(blob, wrong)
    with pytest.raises(ValueError):
        ca.export_pkcs12(company.serial, b"")
    # the key is not in the archive in the clear
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert der not in blob and der[40:72] not in blob
    # usable outside: pyHanko loads it as a signer
    signer = SimpleSigner.load_pkcs12_data(blob, other_certs=[], passphrase=b"s3cret-pw")
    assert signer.signing_cert.serial_number == company.serial


def test_pkcs12_export_readable_by_openssl(ca, person, tmp_path):
    path = tmp_path / "person.p12"
    path.write_bytes(ca.export_pkcs12(person.serial, "口令 with unicode"))
    ok = subprocess.run(
        ["openssl", "pkcs12", "-in", path, "-noout", "-passin", "pass:口令 with unicode"],
        capture_output=True,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        ["openssl", "pkcs12", "-in", path, "-noout", "-passin", "pass:nope"], capture_output=True
    )
    assert bad.returncode != 0


def test_legacy_pkcs12_uses_3des_and_still_loads(ca, company, tmp_path):
    path = tmp_path / "legacy.p12"
    path.write_bytes(ca.export_pkcs12(company.serial, b"pw", legacy=True))
    key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), b"pw")
    assert cert == company.certificate
    info = subprocess.run(
        ["openssl", "pkcs12", "-in", path, "-info", "-noout", "-passin", "pass:pw"],
        capture_output=True,
        text=True,
    )
    assert info.returncode == 0, info.stderr
    assert "pbeWithSHA1And3-KeyTripleDES-CBC" in info.stderr + info.stdout
    modern = subprocess.run(
        ["openssl", "pkcs12", "-in", "/dev/stdin", "-info", "-noout", "-passin", "pass:pw"],
        input=ca.export_pkcs12(company.serial, b"pw"),
        capture_output=True,
    )
    assert b"AES-256-CBC" in modern.stderr + modern.stdout


def test_ca_keys_are_not_exportable(ca):
    from chop.pki import CustodyError

    with pytest.raises(CustodyError):
        ca.export_pkcs12(ca.issuing_certificate.serial_number, b"pw")


# --------------------------------------------------------------------------- CLI
def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CHOP_KEK", "cli-kek")
    monkeypatch.setenv("CHOP_PKI_DIR", str(tmp_path / "ca"))
    return tmp_path / "ca"


def test_cli_lifecycle(cli_env, capsys, tmp_path):
    code, out, _ = run_cli(
        capsys, "init", "--site-url", "https://sign.example", "--key-type", "p256"
    )
    assert code == 0 and json.loads(out)["site_url"] == "https://sign.example"

    code, out, _ = run_cli(capsys, "issue", "--org", COMPANY, "--uscc", USCC)
    assert code == 0
    org = json.loads(out)
    assert f"2.5.4.5={USCC}" in org["subject"]
    code, out, _ = run_cli(capsys, "issue", "--person", PERSON, "--id", ID_NUMBER, "--pem")
    person = json.loads(out)
    assert ID_NUMBER not in out
    cert = x509.load_pem_x509_certificate(person["pem"].encode())
    assert format(cert.serial_number, "x") == person["serial"]

    code, out, _ = run_cli(capsys, "revoke", person["serial"], "--reason", "key_compromise")
    assert code == 0 and json.loads(out)["status"] == "revoked"
    code, out, _ = run_cli(capsys, "status", "0x" + person["serial"])
    assert json.loads(out)["reason"] == "key_compromise"
    code, out, _ = run_cli(capsys, "status", org["serial"])
    assert json.loads(out)["status"] == "good"

    code, _, _ = run_cli(capsys, "crl", "-o", str(tmp_path / "ca.crl"))
    crl = x509.load_der_x509_crl((tmp_path / "ca.crl").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None

    p12 = tmp_path / "org.p12"
    code, _, _ = run_cli(capsys, "export", org["serial"], "-o", str(p12), "--password", "pw123")
    assert code == 0 and p12.stat().st_mode & 0o077 == 0
    key, leaf, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), b"pw123")
    assert format(leaf.serial_number, "x") == org["serial"]

    code, out, _ = run_cli(capsys, "list")
    kinds = [e["kind"] for e in json.loads(out)]
    assert kinds.count("company") == 1 and kinds.count("person") == 1

    # mistakes are one-line errors with exit code 2
    assert run_cli(capsys, "issue", "--org", COMPANY)[0] == 2
    assert run_cli(capsys, "issue", "--org", COMPANY, "--uscc", "123")[0] == 2
    assert run_cli(capsys, "revoke", "ffff")[0] == 2
    code, _, err = run_cli(capsys, "init")
    assert code == 2 and "already" in err


def test_cli_kek_file_and_wrong_kek(cli_env, capsys, tmp_path, monkeypatch):
    kek_file = tmp_path / "kek"
    kek_file.write_text("file-kek\n")
    monkeypatch.delenv("CHOP_KEK")
    code, _, err = run_cli(capsys, "init", str(tmp_path / "other"))
    assert code == 2 and "CHOP_KEK" in err
    assert run_cli(capsys, "init", "--kek-file", str(kek_file))[0] == 0
    assert run_cli(capsys, "list", "--kek-file", str(kek_file))[0] == 0
    monkeypatch.setenv("CHOP_KEK", "file-kek")  # same secret through the env works too
    assert run_cli(capsys, "list")[0] == 0
    monkeypatch.setenv("CHOP_KEK", "wrong")
    code, _, err = run_cli(capsys, "list")
    assert code == 2 and "key-encryption key" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_m_chop_pki_serve(tmp_path):
    """The real entry point in a subprocess: init, issue, then serve CRL/OCSP/TSA on a port."""
    env = {**os.environ, "CHOP_KEK": KEK, "CHOP_PKI_DIR": str(tmp_path / "ca")}
    cmd = [sys.executable, "-m", "chop.pki"]
    subprocess.run([*cmd, "init", "--key-type", "p256"], env=env, check=True, capture_output=True)
    issued = subprocess.run(
        [*cmd, "issue", "--org", COMPANY, "--uscc", USCC],
        env=env,
        check=True,
        capture_output=True,
    )
    serial = json.loads(issued.stdout)["serial"]
    subprocess.run([*cmd, "revoke", serial], env=env, check=True, capture_output=True)

    port = _free_port()
    proc = subprocess.Popen(
        [*cmd, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert "Chop PKI on http://127.0.0.1" in proc.stdout.readline()
        deadline = time.monotonic() + 10
        while True:
            try:
                reply = requests.get(f"http://127.0.0.1:{port}/pki/issuing.crl", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        crl = x509.load_der_x509_crl(reply.content)
        assert crl.get_revoked_certificate_by_serial_number(int(serial, 16)) is not None
        ca = PlatformCA.load(tmp_path / "ca", KEK)
        assert crl.is_signature_valid(ca.issuing_certificate.public_key())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_rotate_kek(cli_env, capsys, monkeypatch):
    assert run_cli(capsys, "init", "--key-type", "p256")[0] == 0
    assert run_cli(capsys, "rotate-kek")[0] == 2  # no new KEK given
    monkeypatch.setenv("CHOP_NEW_KEK", "next-kek")
    code, out, _ = run_cli(capsys, "rotate-kek")
    assert code == 0 and json.loads(out)["rewrapped"] >= 4
    assert run_cli(capsys, "list")[0] == 2  # old CHOP_KEK no longer opens it
    monkeypatch.setenv("CHOP_KEK", "next-kek")
    assert run_cli(capsys, "list")[0] == 0


def test_cli_exports_the_root_certificate_by_name(cli_env, capsys, tmp_path):
    """``root`` prints the root certificate (PEM) or writes it with ``-o``; ``cert NAME`` does
    the same for the issuing CA and the TSA. openssl reads what it writes."""
    assert run_cli(capsys, "init", "--key-type", "p256")[0] == 0
    ca = PlatformCA.load(cli_env, b"cli-kek")
    root = ca.root_certificate

    code, out, _ = run_cli(capsys, "root")
    assert code == 0
    assert x509.load_pem_x509_certificate(out.encode()) == root

    code, out, _ = run_cli(capsys, "root", "--pem")
    assert code == 0 and x509.load_pem_x509_certificate(out.encode()) == root

    pem_path = tmp_path / "root.pem"
    code, _, err = run_cli(capsys, "root", "-o", str(pem_path))
    assert code == 0 and str(pem_path) in err
    assert x509.load_pem_x509_certificate(pem_path.read_bytes()) == root
    text = subprocess.run(
        ["openssl", "x509", "-in", str(pem_path), "-noout", "-subject", "-serial"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Chop Root CA" in text
    assert format(root.serial_number, "X") in text.replace("serial=", "").upper()

    der_path = tmp_path / "root.cer"
    assert run_cli(capsys, "root", "--der", "-o", str(der_path))[0] == 0
    assert x509.load_der_x509_certificate(der_path.read_bytes()) == root

    for name, cert in (("issuing", ca.issuing_certificate), ("tsa", ca.tsa_certificate)):
        code, out, _ = run_cli(capsys, "cert", name)
        assert code == 0 and x509.load_pem_x509_certificate(out.encode()) == cert

    # the serial ca.json stores (decimal) and the one `list`/`issue` print (hex) name one cert
    code, out, _ = run_cli(capsys, "root", "--info")
    info = json.loads(out)
    assert int(info["serial"], 16) == int(info["serial_decimal"]) == root.serial_number
    assert json.loads((cli_env / "ca.json").read_text())["root_serial"] == info["serial_decimal"]
