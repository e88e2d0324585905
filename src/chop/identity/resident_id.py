"""Resident identity card numbers (公民身份号码, GB 11643-1999).

Structure of the 18 characters::

    AAAAAA YYYYMMDD SSS C
    area   birth    seq check

* ``AAAAAA``: administrative division where the number was first issued. Divisions are renamed and
  merged all the time, so only the province part (first two digits) is checked against a fixed
  list; checking all six digits would reject valid numbers issued under divisions that no longer
  exist.
* ``YYYYMMDD``: date of birth; must be a real calendar date, not in the future and not before 1900.
* ``SSS``: sequence; odd for men, even for women.
* ``C``: ISO 7064 MOD 11-2 check character, ``0``-``9`` or ``X`` (for 10).

The residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证) use the same
format with the area codes 81, 82 and 83, so they are accepted here as well.

Privacy: an ID number is personal data. Nothing in this module logs it, results hide it in
``repr``, and :func:`mask_id_number` gives the form that may appear in logs and on screens.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from .validation import InvalidIdentifier, ValidationResult, checks, clean_input

__all__ = [
    "PROVINCE_CODES",
    "ResidentId",
    "Sex",
    "id_check_char",
    "mask_id_number",
    "parse_resident_id",
    "require_resident_id",
    "validate_resident_id",
]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = dt.date(1900, 1, 1)

#: Province-level codes of GB/T 2260, plus 71 (Taiwan) and 81/82/83 (residence permits of Hong
#: Kong, Macao and Taiwan residents).
PROVINCE_CODES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门", "83": "台湾",
}  # fmt: skip

# China has had no daylight saving time since 1991; a fixed offset avoids a tzdata dependency.
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"

    @property
    def zh(self) -> str:
        return "男" if self is Sex.MALE else "女"


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A checked ID number and the facts encoded in it. ``repr`` shows only the masked number."""

    number: str
    birth_date: dt.date
    sex: Sex

    @property
    def area_code(self) -> str:
        return self.number[:6]

    @property
    def province_code(self) -> str:
        return self.number[:2]

    @property
    def province_name(self) -> str:
        return PROVINCE_CODES[self.province_code]

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)

    def age_on(self, day: dt.date) -> int:
        """Completed years on ``day`` (someone born on 29 February ages on 1 March)."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def __repr__(self) -> str:
        return f"ResidentId({self.masked}, birth_date={self.birth_date}, sex={self.sex.value})"

    __str__ = __repr__


def id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def mask_id_number(value: str | None) -> str:
    """``110***********002X`` style: first 3 and last 4 kept, the rest starred.

    Safe for logs and screens. Input that is too short to mask meaningfully is fully starred, so
    a mistyped fragment never leaks either.
    """
    text = clean_input(value or "")
    if len(text) < 8:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def _today_in_china() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


def _fail(code: str, zh: str, en: str, normalized: str | None = None, **details: Any):
    return ValidationResult.fail(code, zh, en, normalized, sensitive=True, **details)


@checks("resident_id")
def validate_resident_id(value: str | None, *, today: dt.date | None = None) -> ValidationResult:
    """Check an 18-character ID number; ``normalized`` is upper-case with spaces removed.

    ``today`` (a date in China) is injectable for tests; by default it is today in UTC+8, because
    someone born just after midnight Beijing time must not be told their birth date is in the
    future by a server running on UTC.

    Checks run from structure to meaning (length, characters, province, date, check character), so
    the reason given is the most specific one a user can act on.
    """
    text = clean_input(value, drop=" \t\r\n-")
    if not text:
        return _fail("empty", "请输入身份证号码", "Enter an ID number")
    if len(text) == 15 and text.isascii() and text.isdigit():
        return _fail(
            "legacy_15_digit",
            "15 位一代身份证号码已停止使用，请输入 18 位号码",
            "15-digit first-generation ID numbers are no longer valid; enter the 18-character number",
        )
    if len(text) != 18:
        return _fail(
            "wrong_length",
            f"身份证号码应为 18 位，当前为 {len(text)} 位",
            f"An ID number has 18 characters, this one has {len(text)}",
            length=len(text),
        )
    body, check = text[:17], text[17]
    for position, ch in enumerate(text, start=1):
        allowed = "0123456789X" if position == 18 else "0123456789"
        if ch not in allowed:
            what = "数字或 X" if position == 18 else "数字"
            what_en = "a digit or X" if position == 18 else "a digit"
            return _fail(
                "illegal_character",
                f"第 {position} 位应为{what}",
                f"Character {position} must be {what_en}",
                position=position,
            )
    if body[:2] not in PROVINCE_CODES:
        return _fail(
            "bad_area_code",
            f"前两位 {body[:2]} 不是有效的省级行政区划代码",
            f"The first two digits {body[:2]} are not a province code",
            text,
        )
    try:
        birth = dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return _fail(
            "bad_birth_date",
            "第 7-14 位不是有效的出生日期",
            "Characters 7-14 are not a real date of birth",
            text,
        )
    today = today or _today_in_china()
    if birth > today:
        return _fail(
            "birth_date_in_future",
            "出生日期晚于今天",
            "The date of birth is in the future",
            text,
        )
    if birth < EARLIEST_BIRTH:
        return _fail(
            "birth_date_too_early",
            "出生日期早于 1900 年",
            "The date of birth is before 1900",
            text,
        )
    expected = id_check_char(body)
    if check != expected:
        return _fail(
            "bad_check_digit",
            f"校验码错误：最后一位应为 {expected}，请检查是否输错",
            f"Check character mismatch: the last character should be {expected}; check for a typo",
            text,
            expected=expected,
        )
    sex = Sex.MALE if int(body[16]) % 2 else Sex.FEMALE
    return ValidationResult.ok(
        text,
        "身份证号码格式正确",
        "The ID number is well-formed",
        sensitive=True,
        birth_date=birth.isoformat(),
        sex=sex.value,
        province=PROVINCE_CODES[body[:2]],
    )


def parse_resident_id(value: str | None, *, today: dt.date | None = None) -> ResidentId | None:
    """The checked number with its birth date and sex, or ``None`` when invalid."""
    result = validate_resident_id(value, today=today)
    if not result.valid:
        return None
    return _to_resident_id(result)


def require_resident_id(value: str | None, *, today: dt.date | None = None) -> ResidentId:
    """Like :func:`parse_resident_id` but raises :class:`InvalidIdentifier` with the reason."""
    result = validate_resident_id(value, today=today)
    if not result.valid:
        raise InvalidIdentifier(result)
    return _to_resident_id(result)


def _to_resident_id(result: ValidationResult) -> ResidentId:
    assert result.normalized is not None
    return ResidentId(
        number=result.normalized,
        birth_date=dt.date.fromisoformat(result.details["birth_date"]),
        sex=Sex(result.details["sex"]),
    )
