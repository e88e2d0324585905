"""The verification app's shape and names: services split at their seams, encrypted personal data
not called "sealed" (a seal is a company's stamp here), and the provider answer not called
``Outcome`` (chop.identity's ``Outcome`` is the status alone)."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps

from chop.verification import pii, providers, services

MAX_LINES = 250


def test_services_are_split_into_small_modules():
    package = Path(services.__file__).parent
    assert package.name == "services" and Path(services.__file__).name == "__init__.py"
    modules = {p.stem: len(p.read_text().splitlines()) for p in package.glob("*.py")}
    assert {"person", "company", "deposit", "evidence"} <= modules.keys()
    assert {name: n for name, n in modules.items() if n > MAX_LINES} == {}


def test_encrypted_personal_data_is_not_called_sealed():
    fields = {
        model.__name__: {f.name for f in model._meta.get_fields()}
        for model in apps.get_app_config("verification").get_models()
    }
    assert not [(m, f) for m, names in fields.items() for f in names if "seal" in f]
    assert "SealedKey" not in fields and "encrypted" in fields["StoredKey"]
    assert "id_number_encrypted" in fields["PersonVerification"]
    assert {"legal_rep_id_encrypted", "bank_account_encrypted", "deposit_encrypted"} <= fields[
        "CompanyVerification"
    ]
    assert not any(hasattr(pii, name) for name in ("seal", "unseal", "seal_with", "unseal_with"))


def test_encrypt_and_decrypt_round_trip(settings):
    settings.CHOP_KEK = "structure-test-kek"
    pii.clear_caches()
    try:
        token = pii.encrypt("6222020200112233445")
        assert "6222020200112233445" not in token
        assert pii.decrypt(token) == "6222020200112233445" and pii.decrypt("") == ""
        assert pii.encrypted_under(token, pii.derived_kek("structure-test-kek"))
    finally:
        pii.clear_caches()


def test_the_provider_answer_is_not_called_outcome():
    from chop.identity import Outcome

    assert not hasattr(providers, "Outcome")
    answer = providers.ProviderAnswer(providers.REFUSED, "test-idp", "no")
    assert answer.status == Outcome.REFUSED.value and answer.reference == ""
