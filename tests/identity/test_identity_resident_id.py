"""Resident ID numbers: checksum, structure, dates, extraction, masking."""

from __future__ import annotations

import datetime as dt

import pytest

from chop.identity import (
    InvalidIdentifier,
    Sex,
    id_check_char,
    mask_id_number,
    parse_resident_id,
    require_resident_id,
    validate_resident_id,
)

TODAY = dt.date(2026, 11, 21)

# Independent implementation of GB 11643-1999 straight from the standard's formula, so the tests
# do not trust the code under test to build their fixtures.
_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def make_id(area: str, birth: str, seq: str) -> str:
    body = area + birth + seq
    assert len(body) == 17
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


# The textbook example from GB 11643-1999 (female, born 1949-12-31 in Beijing Chaoyang).
TEXTBOOK = "11010519491231002X"

VALID = [
    TEXTBOOK,
    make_id("440305", "19880808", "123"),
    make_id("310104", "20000229", "004"),  # leap day in a leap century year
    make_id("650102", "19000101", "011"),  # earliest allowed date
    make_id("810000", "19750615", "040"),  # Hong Kong residence permit
    make_id("830000", "19910303", "055"),  # Taiwan residence permit
    make_id("540102", "20261121", "001"),  # born "today"
]


def test_textbook_example_matches_the_independent_formula() -> None:
    assert make_id("110105", "19491231", "002") == TEXTBOOK
    assert id_check_char(TEXTBOOK[:17]) == "X"


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_pass(number: str) -> None:
    result = validate_resident_id(number, today=TODAY)
    assert result.valid, result.message
    assert result.reason_code == "ok"
    assert result.normalized == number


def test_lowercase_x_spaces_and_full_width_are_normalised() -> None:
    for typed in [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "１１０１０５１９４９１２３１００２ｘ",
    ]:
        result = validate_resident_id(typed, today=TODAY)
        assert result.valid, typed
        assert result.normalized == TEXTBOOK


def test_birth_date_and_sex_extracted() -> None:
    person = require_resident_id(TEXTBOOK, today=TODAY)
    assert person.birth_date == dt.date(1949, 12, 31)
    assert person.sex is Sex.FEMALE  # 17th digit 2 is even
    assert person.province_code == "11" and person.province_name == "北京"
    assert person.area_code == "110105"
    assert person.age_on(TODAY) == 76
    male = require_resident_id(make_id("440305", "19880808", "123"), today=TODAY)
    assert male.sex is Sex.MALE and male.sex.zh == "男"
    assert male.birth_date == dt.date(1988, 8, 8)


def test_age_counts_completed_years() -> None:
    person = require_resident_id(make_id("310104", "20000229", "004"), today=TODAY)
    assert person.age_on(dt.date(2018, 2, 28)) == 17
    assert person.age_on(dt.date(2018, 3, 1)) == 18


def _all_single_changes(number: str):
    for i in range(18):
        allowed = "0123456789X" if i == 17 else "0123456789"
        for ch in allowed:
            if ch != number[i]:
                yield i, number[:i] + ch + number[i + 1 :]


@pytest.mark.parametrize("number", VALID[:4])
def test_every_single_character_change_fails(number: str) -> None:
    changes = list(_all_single_changes(number))
    assert len(changes) == 17 * 9 + 10
    for position, mutated in changes:
        result = validate_resident_id(mutated, today=TODAY)
        assert not result.valid, f"position {position + 1}: {mutated} passed"
        assert result.reason_code in {
            "bad_check_digit",
            "bad_area_code",
            "bad_birth_date",
            "birth_date_in_future",
            "birth_date_too_early",
        }


def test_a_check_digit_error_names_the_expected_character() -> None:
    result = validate_resident_id("110105194912310021", today=TODAY)
    assert result.reason_code == "bad_check_digit"
    assert result.details["expected"] == "X"
    assert "X" in result.message_zh and "X" in result.message_en


@pytest.mark.parametrize(
    ("birth", "reason"),
    [
        ("20000229", None),  # divisible by 400: leap
        ("20240229", None),
        ("19000229", "bad_birth_date"),  # divisible by 100, not 400: not leap
        ("20230229", "bad_birth_date"),
        ("19990230", "bad_birth_date"),
        ("19991301", "bad_birth_date"),
        ("19990001", "bad_birth_date"),
        ("19990100", "bad_birth_date"),
        ("18991231", "birth_date_too_early"),
        ("19000101", None),
        ("20261121", None),  # today
        ("20261122", "birth_date_in_future"),  # tomorrow
        ("20991231", "birth_date_in_future"),
    ],
)
def test_birth_date_edges(birth: str, reason: str | None) -> None:
    result = validate_resident_id(make_id("110105", birth, "002"), today=TODAY)
    if reason is None:
        assert result.valid, result.message
    else:
        assert not result.valid
        assert result.reason_code == reason


def test_default_today_is_the_date_in_china() -> None:
    china_today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert validate_resident_id(make_id("110105", china_today.strftime("%Y%m%d"), "002")).valid
    tomorrow = china_today + dt.timedelta(days=1)
    result = validate_resident_id(make_id("110105", tomorrow.strftime("%Y%m%d"), "002"))
    assert result.reason_code == "birth_date_in_future"


@pytest.mark.parametrize(
    "prefix",
    ["00", "10", "16", "20", "24", "30", "38", "47", "55", "60", "66", "72", "80", "84", "99"],
)
def test_unknown_province_codes_fail(prefix: str) -> None:
    result = validate_resident_id(make_id(prefix + "0101", "19800101", "001"), today=TODAY)
    assert result.reason_code == "bad_area_code"


@pytest.mark.parametrize(
    "prefix",
    [
        "11",
        "15",
        "21",
        "23",
        "31",
        "37",
        "41",
        "46",
        "50",
        "54",
        "61",
        "65",
        "71",
        "81",
        "82",
        "83",
    ],
)
def test_every_province_range_boundary_passes(prefix: str) -> None:
    assert validate_resident_id(make_id(prefix + "0101", "19800101", "001"), today=TODAY).valid


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        (None, "empty"),
        ("   ", "empty"),
        ("11010519491231002", "wrong_length"),
        ("11010519491231002X1", "wrong_length"),
        ("110105491231002", "legacy_15_digit"),
        ("1101051949123100XX", "illegal_character"),
        ("X1010519491231002X", "illegal_character"),
        ("11010519491231002Y", "illegal_character"),
        ("110105194912310O2X", "illegal_character"),
        (
            "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",
            "illegal_character",
        ),  # Arabic-Indic digits are not accepted as ASCII
    ],
)
def test_structural_failures(value: str | None, reason: str) -> None:
    result = validate_resident_id(value, today=TODAY)
    assert not result.valid
    assert result.reason_code == reason
    assert result.message_zh and result.message_en


def test_illegal_character_reports_its_position() -> None:
    result = validate_resident_id("110105194912310O2X", today=TODAY)
    assert result.details["position"] == 16
    assert "16" in result.message_zh


def test_require_raises_with_the_reason_and_without_the_number() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        require_resident_id("110105194912310021", today=TODAY)
    assert info.value.reason_code == "bad_check_digit"
    assert "110105194912310021" not in str(info.value)
    assert parse_resident_id("110105194912310021", today=TODAY) is None


def test_masking() -> None:
    assert mask_id_number(TEXTBOOK) == "110***********002X"
    assert mask_id_number("11010519491231002x") == "110***********002X"
    assert mask_id_number("1234") == "****"
    assert mask_id_number("") == ""
    assert mask_id_number(None) == ""


def test_full_number_never_appears_in_reprs() -> None:
    result = validate_resident_id(TEXTBOOK, today=TODAY)
    person = require_resident_id(TEXTBOOK, today=TODAY)
    bad = validate_resident_id("110105194912310021", today=TODAY)
    for text in (repr(result), str(result), repr(person), str(person), repr(bad)):
        assert "19491231" not in text
    assert "110***********002X" in repr(result)
    assert result.normalized == TEXTBOOK  # still available to code that needs it


def test_check_char_helper_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        id_check_char("1234")
    with pytest.raises(ValueError):
        id_check_char("1101051949123100A")
