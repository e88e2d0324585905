"""Unified Social Credit Codes: both check characters, structure, reasons, normalisation."""

from __future__ import annotations

import pytest

from chop.identity import (
    InvalidIdentifier,
    org_code_check_char,
    parse_uscc,
    require_uscc,
    uscc_check_char,
    validate_uscc,
)

# Independent implementation of GB 32100-2015 and GB 11714 from the published formulas.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_OW = [3, 7, 9, 10, 5, 8, 4, 2]


def _org_check(body8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body8, _OW, strict=True))
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def make_uscc(prefix8: str, org_body8: str) -> str:
    """prefix8 = authority + category + 6-digit division; computes both check characters."""
    first17 = prefix8 + org_body8 + _org_check(org_body8)
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, _W, strict=True))
    return first17 + ALPHABET[(31 - total % 31) % 31]


# Codes printed on public business licences. A random 18-character string passes both check
# characters with probability 1/341, so these passing is strong evidence the implementation is right.
PUBLIC = [
    "9144030071526726XG",  # the example in PRODUCT.md
    "91110000802100433B",
    "91440300708461136T",
    "91110108551385082Q",
    "914403001922038216",
]

CONSTRUCTED = [
    make_uscc("91310000", "MA1FL5LL"),  # new-style body starting MA (after 2015)
    make_uscc("92440101", "L0123456"),  # individual business
    make_uscc("31110000", "E0001789"),  # law firm
    make_uscc("53100000", "50000123"),  # foundation registered centrally (division 100000)
    make_uscc("Y1330100", "12345678"),
    make_uscc("N2330102", "K1234567"),
    make_uscc("A1110000", "00000001"),
    make_uscc("52371529", "PQRTUWXY"),  # no zero anywhere, so every weight matters
    make_uscc("81654321", "9HJKLMN8"),
]


def test_example_from_the_product_spec_and_its_org_code() -> None:
    assert org_code_check_char("71526726") == "X"
    assert uscc_check_char("9144030071526726X") == "G"
    assert make_uscc("91440300", "71526726") == "9144030071526726XG"


@pytest.mark.parametrize("code", PUBLIC + CONSTRUCTED)
def test_valid_codes_pass(code: str) -> None:
    result = validate_uscc(code)
    assert result.valid, result.message
    assert result.normalized == code
    assert result.reason_code == "ok"


def test_constructed_codes_cover_both_org_check_special_cases() -> None:
    # 10 -> X and 11 -> 0 are the two easy-to-get-wrong branches of GB 11714.
    assert org_code_check_char("71526726") == "X"
    body_with_zero = next(f"{n:08d}" for n in range(10_000) if _org_check(f"{n:08d}") == "0")
    assert org_code_check_char(body_with_zero) == "0"
    assert validate_uscc(make_uscc("91440300", body_with_zero)).valid


def test_normalisation_of_case_spaces_dashes_and_full_width() -> None:
    for typed in [
        "9144030071526726xg",
        " 91440300 71526726-X G ",
        "９１４４０３００７１５２６７２６ＸＧ",
    ]:
        result = validate_uscc(typed)
        assert result.valid, typed
        assert result.normalized == "9144030071526726XG"


def _all_single_changes(code: str):
    for i in range(18):
        for ch in ALPHABET:
            if ch != code[i]:
                yield i, code[:i] + ch + code[i + 1 :]


@pytest.mark.parametrize("code", PUBLIC[:3] + CONSTRUCTED[:2])
def test_every_single_character_change_fails(code: str) -> None:
    changes = list(_all_single_changes(code))
    assert len(changes) == 18 * 30
    for position, mutated in changes:
        result = validate_uscc(mutated)
        assert not result.valid, f"position {position + 1}: {mutated} passed"


def test_each_reason_is_reported_for_the_part_that_is_wrong() -> None:
    code = "9144030071526726XG"
    # Change inside the organisation body: the org-code check notices first and names position 17.
    result = validate_uscc("9144030071526727XG")
    assert result.reason_code == "bad_org_code_check"
    assert result.details["expected"] == org_code_check_char("71526727")
    # Change of the last character only.
    result = validate_uscc(code[:17] + "H")
    assert result.reason_code == "bad_check_digit"
    assert result.details["expected"] == "G"
    assert "G" in result.message_zh and "G" in result.message_en


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_outside_the_alphabet_are_named(letter: str) -> None:
    result = validate_uscc("91440300715267" + letter + "6XG")
    assert result.reason_code == "illegal_character"
    assert result.details == {"position": 15, "character": letter}
    assert letter in result.message_zh and "15" in result.message_en


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        (None, "empty"),
        ("9144030071526726X", "wrong_length"),
        ("9144030071526726XG1", "wrong_length"),
        ("914403007152672#XG", "illegal_character"),
        (make_uscc("B1440300", "71526726"), "bad_authority"),
        (make_uscc("01440300", "71526726"), "bad_authority"),
        (make_uscc("94440300", "71526726"), "bad_category"),  # 工商 has no category 4
        (make_uscc("99440300", "71526726"), "bad_category"),  # nor 9
        (make_uscc("Y2440300", "71526726"), "bad_category"),
        (make_uscc("91990300", "71526726"), "bad_division_code"),
        (make_uscc("9144A300", "71526726"), "bad_division_code"),
    ],
)
def test_structural_failures(value: str | None, reason: str) -> None:
    result = validate_uscc(value)
    assert not result.valid
    assert result.reason_code == reason
    assert result.message_zh and result.message_en


def test_parsed_parts() -> None:
    code = require_uscc("9144030071526726XG")
    assert code.authority == "9" and code.category == "1" and code.is_enterprise
    assert code.division_code == "440300"
    assert code.org_code == "71526726-X"
    assert code.authority_name == ("工商", "market regulation")
    assert code.category_name == ("企业", "enterprise")
    assert str(code) == "9144030071526726XG"
    law_firm = require_uscc(make_uscc("31110000", "E0001789"))
    assert law_firm.category_name[0] == "律师执业机构" and not law_firm.is_enterprise


def test_require_and_parse_on_invalid_input() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        require_uscc("9144030071526726XH")
    assert info.value.reason_code == "bad_check_digit"
    assert parse_uscc("9144030071526726XH") is None
    assert parse_uscc("9144030071526726XG") is not None


def test_check_helpers_reject_bad_input() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("914403007152672")
    with pytest.raises(ValueError):
        uscc_check_char("9144030071526726I")
    with pytest.raises(ValueError):
        org_code_check_char("7152672")
