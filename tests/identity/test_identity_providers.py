"""Provider defaults (operator review, console payment) and building providers from settings."""

from __future__ import annotations

import io
import json

import pytest

from chop.identity import (
    CompanyClaim,
    Outcome,
    PersonClaim,
    ProviderConfigError,
    TransferRequest,
    TransferStatus,
    provider_from_config,
)
from chop.identity.providers import (
    ConsolePaymentProvider,
    HttpIdentityProvider,
    HttpPaymentProvider,
    HttpRegistryProvider,
    ManualPaymentProvider,
    ReviewIdentityProvider,
    ReviewRegistryProvider,
)

ID = "11010519491231002X"
USCC = "9144030071526726XG"


def test_defaults_are_review_and_console() -> None:
    assert isinstance(provider_from_config("identity", {}), ReviewIdentityProvider)
    assert isinstance(
        provider_from_config("registry", {"backend": "review"}), ReviewRegistryProvider
    )
    assert isinstance(provider_from_config("payment", {}), ConsolePaymentProvider)
    assert isinstance(provider_from_config("payment", {"backend": "manual"}), ManualPaymentProvider)


def test_review_identity_needs_review_with_a_checklist_and_never_verifies() -> None:
    result = provider_from_config("identity", {}).verify_person(
        PersonClaim("张三", ID, "13800138000")
    )
    assert result.status is Outcome.NEEDS_REVIEW and not result.verified
    codes = [item.code for item in result.review]
    assert {"name_matches", "number_matches", "card_not_expired", "not_altered"} <= set(codes)
    assert all(item.zh and item.en for item in result.review)
    assert result.as_evidence()["review"] == codes


def test_review_still_refuses_locally_invalid_numbers() -> None:
    result = ReviewIdentityProvider().verify_person(PersonClaim("张三", "110105194912310021"))
    assert result.status is Outcome.REFUSED and result.reason_code == "bad_check_digit"


def test_review_registry_adds_the_legal_representative_check_only_when_given() -> None:
    provider = ReviewRegistryProvider()
    without = provider.verify_company(CompanyClaim("深圳示例科技有限公司", USCC))
    with_rep = provider.verify_company(CompanyClaim("深圳示例科技有限公司", USCC, "李四"))
    assert without.status is with_rep.status is Outcome.NEEDS_REVIEW
    assert "registry_active" in [i.code for i in without.review]
    assert "legal_representative_matches" not in [i.code for i in without.review]
    assert "legal_representative_matches" in [i.code for i in with_rep.review]
    bad = provider.verify_company(CompanyClaim("深圳示例科技有限公司", "9144030071526726XI"))
    assert bad.status is Outcome.REFUSED and bad.reason_code == "illegal_character"


def test_person_claim_repr_masks_personal_data() -> None:
    text = repr(PersonClaim("张三", ID, "13800138000"))
    assert ID not in text and "13800138000" not in text
    assert "110***********002X" in text and "138****8000" in text


def test_console_payment_is_sent_but_marked_simulated(tmp_path) -> None:
    outbox = tmp_path / "outbox.jsonl"
    stream = io.StringIO()
    provider = ConsolePaymentProvider(outbox=outbox, stream=stream)
    request = TransferRequest("req-9", "深圳示例科技有限公司", "6222000011112345", 7)
    result = provider.send_micro_deposit(request)
    assert result.status is TransferStatus.SENT and result.simulated
    assert result.reference and result.reference.startswith("SIM-")
    assert result.as_evidence()["simulated"] is True
    printed = stream.getvalue()
    assert "¥0.07" in printed and "SIMULATED" in printed and "6222000011112345" not in printed
    [line] = outbox.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["amount_fen"] == 7 and record["amount_yuan"] == "0.07"
    assert record["simulated"] is True and record["channel"] == "micro_deposit"
    assert record["reference"] == result.reference


def test_console_payment_from_config_writes_the_configured_outbox(tmp_path, capsys) -> None:
    provider = provider_from_config(
        "payment", {"backend": "console", "outbox": str(tmp_path / "o.jsonl")}
    )
    provider.send_micro_deposit(TransferRequest("r", "某某公司", "1234567890", 55))
    assert "¥0.55" in capsys.readouterr().out
    assert json.loads((tmp_path / "o.jsonl").read_text())["amount_fen"] == 55


def test_manual_payment_waits_for_an_operator() -> None:
    result = ManualPaymentProvider().send_micro_deposit(
        TransferRequest("r", "某某公司", "1234567890", 55)
    )
    assert result.status is TransferStatus.NEEDS_REVIEW and not result.sent
    assert [i.code for i in result.review] == ["make_transfer", "record_reference"]


@pytest.mark.parametrize("amount", [0, 100, -5])
def test_transfer_request_refuses_amounts_outside_1_to_99_fen(amount: int) -> None:
    with pytest.raises(ValueError):
        TransferRequest("r", "某某公司", "1234567890", amount)


def test_transfer_request_repr_hides_amount_and_account() -> None:
    text = repr(TransferRequest("r", "某某公司", "6222000011112345", 73))
    assert "73" not in text and "6222000011112345" not in text and "2345" in text


# --- factory -------------------------------------------------------------------------------------


def test_http_backends_built_from_settings_strings() -> None:
    config = {"backend": "http", "url": "https://adapter.example/id", "token": "tok-3f9a",
              "timeout": "0.5", "retries": "3", "backoff": "0", "name": "vendor"}  # fmt: skip
    provider = provider_from_config("identity", config)
    assert isinstance(provider, HttpIdentityProvider)
    assert provider.settings.timeout == 0.5 and provider.settings.retries == 3
    assert provider.settings.auth == "bearer" and provider.settings.name == "vendor"
    assert isinstance(provider_from_config("registry", config), HttpRegistryProvider)
    assert isinstance(provider_from_config("payment", config), HttpPaymentProvider)
    assert repr(provider.settings) != "t" and "token" not in repr(provider.settings)


def test_hmac_is_chosen_when_a_secret_is_given() -> None:
    provider = provider_from_config(
        "registry", {"backend": "http", "url": "https://a.example/", "key_id": "k", "secret": "s"}
    )
    assert provider.settings.auth == "hmac"


@pytest.mark.parametrize(
    ("kind", "config", "fragment"),
    [
        ("passport", {}, "unknown provider kind"),
        ("identity", {"backend": "magic"}, "unknown identity backend"),
        ("payment", {"backend": "review"}, "unknown payment backend"),
        ("identity", {"backend": "review", "url": "https://x"}, "unknown option"),
        (
            "identity",
            {"backend": "http", "url": "https://x.example", "token": "t", "timout": 5},
            "timout",
        ),
        ("identity", {"backend": "http", "token": "t"}, "needs a url"),
        ("identity", {"backend": "http", "url": "https://x.example"}, "needs a token"),
        ("identity", {"backend": "http", "url": "http://x.example", "token": "t"}, "https"),
        ("identity", {"backend": "http", "url": "ftp://x.example", "token": "t"}, "http(s)"),
        (
            "identity",
            {"backend": "http", "url": "https://u:p@x.example", "token": "t"},
            "credentials",
        ),
        ("identity", {"backend": "http", "url": "https://x.example", "secret": "s"}, "key_id"),
        (
            "identity",
            {"backend": "http", "url": "https://x.example", "token": "t", "auth": "basic"},
            "auth must",
        ),
        (
            "identity",
            {"backend": "http", "url": "https://x.example", "token": "t", "retries": "two"},
            "retries",
        ),
        (
            "identity",
            {"backend": "http", "url": "https://x.example", "token": "t", "retries": 1.5},
            "whole",
        ),
        (
            "identity",
            {"backend": "http", "url": "https://x.example", "token": "t", "timeout": 0},
            "timeout",
        ),
        (
            "identity",
            {"backend": "http", "url": "https://x.example", "token": "t", "timeout": True},
            "timeout",
        ),
        (
            "identity",
            {"backend": "http", "url": "https://x.example", "token": "t", "allow_http": "maybe"},
            "boolean",
        ),
    ],
)
def test_bad_configurations_fail_at_start_up(kind: str, config: dict, fragment: str) -> None:
    with pytest.raises(ProviderConfigError) as info:
        provider_from_config(kind, config)  # type: ignore[call-overload]
    assert fragment in str(info.value)


def test_plain_http_is_allowed_for_loopback_or_when_asked() -> None:
    loopback = provider_from_config(
        "identity", {"backend": "http", "url": "http://127.0.0.1:9/", "token": "t"}
    )
    assert isinstance(loopback, HttpIdentityProvider)
    private = provider_from_config(
        "identity",
        {"backend": "http", "url": "http://adapter:8080/", "token": "t", "allow_http": "true"},
    )
    assert private.settings.allow_http is True
