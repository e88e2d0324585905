"""Mainland mobile numbers: accepted spellings, normalisation, reasons, masking."""

from __future__ import annotations

import pytest

from chop.identity import InvalidIdentifier, mask_mobile, require_mobile, to_e164, validate_mobile


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "(+86) 138 0013 8000",
        "008613800138000",
        "8613800138000",
        "１３８００１３８０００",  # full-width digits from a Chinese input method
    ],
)
def test_accepted_spellings_normalise_to_11_digits(typed: str) -> None:
    result = validate_mobile(typed)
    assert result.valid, result.message
    assert result.normalized == "13800138000"


@pytest.mark.parametrize("second", "3456789")
def test_every_second_digit_from_3_to_9(second: str) -> None:
    assert validate_mobile(f"1{second}012345678").valid


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        (None, "empty"),
        ("1380013800", "wrong_length"),
        ("138001380001", "wrong_length"),
        ("+86 1380013800", "wrong_length"),
        ("12800138000", "bad_prefix"),
        ("10800138000", "bad_prefix"),
        ("23800138000", "bad_prefix"),
        ("1380013800a", "illegal_character"),
        ("+852 9123 4567", "not_mainland"),
        ("+1 415 555 0100", "not_mainland"),
    ],
)
def test_rejections(value: str | None, reason: str) -> None:
    result = validate_mobile(value)
    assert not result.valid
    assert result.reason_code == reason
    assert result.message_zh and result.message_en


def test_raise_style_helpers() -> None:
    assert require_mobile("+86 139-1234-5678") == "13912345678"
    assert to_e164("139 1234 5678") == "+8613912345678"
    with pytest.raises(InvalidIdentifier) as info:
        require_mobile("12345")
    assert info.value.reason_code == "wrong_length"


def test_masking() -> None:
    assert mask_mobile("+86 138-0013-8000") == "138****8000"
    assert mask_mobile("123") == "***"
