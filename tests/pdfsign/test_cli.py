"""The command line signs and verifies, and its exit codes mean something."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.pdfsign_testing import demo_seal_png


class _Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _run(*args):
    """In-process (fast); ``_run_subprocess`` checks the real ``python -m`` entry point once."""
    import contextlib
    import io

    from chop.pdfsign.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return _Result(code, out.getvalue(), err.getvalue())


def _run_subprocess(*args):
    return subprocess.run(
        [sys.executable, "-m", "chop.pdfsign", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_sign_and_verify(contract, tmp_path, company_a, pki, assert_signed_ok):
    p12 = tmp_path / "a.p12"
    p12.write_bytes(company_a.pkcs12(b"secret"))
    seal = tmp_path / "seal.png"
    seal.write_bytes(demo_seal_png())
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root_pem())
    out = tmp_path / "out.pdf"
    r = _run(
        "sign",
        contract,
        "-o",
        out,
        "--p12",
        p12,
        "--p12-password",
        "secret",
        "--seal",
        seal,
        "--page",
        "1",
        "--at",
        "120,200",
        "--riding",
        "right:150",
        "--date",
        "cn",
        "--level",
        "B-B",
    )
    assert r.returncode == 0, r.stderr
    assert "field Signature1" in r.stdout
    assert_signed_ok(out, 1)
    r = _run_subprocess("verify", out, "--trust", root, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["verdict"] == "valid" and data["signatures"][0]["company"] == "甲方科技有限公司"
    r = _run("verify", out, "--trust", root)
    assert r.returncode == 0 and "intact yes" in r.stdout

    # a flipped byte: exit 1, and the report says so
    bad = tmp_path / "bad.pdf"
    data = bytearray(out.read_bytes())
    i = data.index(b"Page 1")
    data[i] ^= 0x20
    bad.write_bytes(bytes(data))
    r = _run("verify", bad, "--trust", root)
    assert r.returncode == 1 and "intact NO" in r.stdout

    # wrong password: clear message, exit 2, nothing written
    r = _run(
        "sign",
        contract,
        "-o",
        tmp_path / "x.pdf",
        "--p12",
        p12,
        "--p12-password",
        "nope",
        "--seal",
        seal,
        "--at",
        "20,20",
    )
    assert r.returncode == 2 and "wrong password" in r.stderr
    assert not (tmp_path / "x.pdf").exists()

    # unsigned file: verify exits non-zero
    r = _run("verify", contract)
    assert r.returncode == 1 and "unsigned" in r.stdout


def test_cli_level_bt_without_tsa_says_how_to_get_a_timestamp(contract, tmp_path, company_a):
    """B-T needs a timestamp: the message names --tsa and where a TSA comes from, exit code 2,
    and nothing is written."""
    p12 = tmp_path / "a.p12"
    p12.write_bytes(company_a.pkcs12(b"secret"))
    seal = tmp_path / "seal.png"
    seal.write_bytes(demo_seal_png())
    out = tmp_path / "out.pdf"
    for level in ("B-T", "B-LT"):
        r = _run(
            "sign", contract, "-o", out, "--p12", p12, "--p12-password", "secret",
            "--seal", seal, "--at", "20,20", "--level", level,
        )  # fmt: skip
        assert r.returncode == 2, r.stdout + r.stderr
        assert "--tsa URL" in r.stderr, r.stderr
        assert "python -m chop.pki serve" in r.stderr, r.stderr
        assert "--level B-B" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
        assert not out.exists()
