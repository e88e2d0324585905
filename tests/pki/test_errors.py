"""PKI refusals: one ChopError shape (namespace "pki", stable code, params), a message for every
code the engine raises, plain English for the CLI and translated text for the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

import chop.pki
from chop.errors import ChopError
from chop.explain import explain
from chop.explain.pki import MESSAGES
from chop.pki import (
    CertificateExpiredError,
    CertificateRevokedError,
    CustodyError,
    KeyNotExportable,
    PkiError,
    PlatformCA,
    WrongKEKError,
    envelope,
)
from chop.pki.names import validate_uscc

from .conftest import KEK

PKI_DIR = Path(chop.pki.__file__).parent


def raised_codes() -> dict[str, str]:
    """Every code the pki sources can raise: ``code="..."`` arguments and class defaults."""
    codes: dict[str, str] = {}
    for path in sorted(PKI_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                        codes[kw.value.value] = path.name
            elif isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and [getattr(t, "id", None) for t in stmt.targets] == ["code"]
                        and isinstance(stmt.value, ast.Constant)
                    ):
                        codes[stmt.value.value] = path.name
    return codes


def test_every_raised_code_has_a_message():
    codes = raised_codes()
    # the scan finds codes in every layer: envelope, custody backends, profiles, the CA, names
    assert {"wrong_kek", "envelope_corrupt", "token_unavailable", "uscc_check_failed"} <= set(codes)
    assert {"certificate_revoked", "pkcs12_password_empty", "validity_not_positive"} <= set(codes)
    missing = {code: where for code, where in codes.items() if code not in MESSAGES}
    assert missing == {}


@pytest.mark.parametrize(
    "cls",
    [
        PkiError,
        CustodyError,
        WrongKEKError,
        KeyNotExportable,
        CertificateRevokedError,
        CertificateExpiredError,
    ],
)
def test_pki_errors_are_chop_errors_in_the_pki_namespace(cls):
    assert issubclass(cls, ChopError)
    assert issubclass(cls, ValueError)  # callers that only know "bad input" still catch them
    assert cls.namespace == "pki"
    assert cls.code in MESSAGES


def test_wrong_kek_has_a_code_english_text_and_a_translation(ca, ca_dir):
    with pytest.raises(WrongKEKError) as info:
        PlatformCA.load(ca_dir, "not the " + KEK)
    error = info.value
    assert (error.namespace, error.code) == ("pki", "wrong_kek")
    assert "CHOP_KEK" in str(error)  # the CLI's text is unchanged, plain English
    with translation.override("zh-hans"):
        text = explain(error)
    assert text != str(error)
    assert "CHOP_KEK" not in text and any("\u4e00" <= c <= "\u9fff" for c in text)


def test_invalid_uscc_carries_its_params_and_renders_in_both_languages():
    with pytest.raises(ValueError) as info:
        validate_uscc("91350100M000100Y44")
    error = info.value
    assert isinstance(error, PkiError)
    assert error.code == "uscc_check_failed"
    assert error.params == {"value": "91350100M000100Y44", "expected": "3"}
    assert "GB 32100" in str(error)
    with translation.override("en"):
        english = explain(error)
    with translation.override("zh-hans"):
        chinese = explain(error)
    assert "check" in english and english != chinese


def test_expired_certificate_message_names_the_date(ca, monkeypatch):
    from datetime import timedelta

    import chop.pki.ca as ca_mod

    cred = ca.issue_company("北京测试科技有限公司", "91350100M000100Y43", valid_days=1)
    real_now = ca_mod.utc_now
    monkeypatch.setattr(ca_mod, "utc_now", lambda: real_now() + timedelta(days=2))
    with pytest.raises(CertificateExpiredError) as info:
        ca.signer(cred.serial)
    not_after = info.value.params["not_after"]
    with translation.override("en"):
        assert not_after in explain(info.value)


def test_envelope_encrypts_and_decrypts_with_no_seal_names_left():
    kek = envelope.derive_kek("k")
    blob = envelope.encrypt(kek, b"secret", purpose="test")
    assert envelope.decrypt(kek, blob, purpose="test") == b"secret"
    with pytest.raises(CustodyError) as info:
        envelope.decrypt(kek, blob, purpose="other")
    assert info.value.code == "envelope_purpose_mismatch"
    # "seal" is the product's noun (a company seal); encryption is never called that in pki
    for module in (
        "chop.pki.envelope",
        "chop.pki.custody",
        "chop.pki.file_custody",
        "chop.pki.pkcs11_custody",
    ):
        names = dir(__import__(module, fromlist=["*"]))
        assert not [n for n in names if "seal" in n.lower()], module
    assert not hasattr(chop.pki.EncryptedFileCustody, "seal_secret")
    assert not hasattr(chop.pki.EncryptedFileCustody, "unseal_secret")
