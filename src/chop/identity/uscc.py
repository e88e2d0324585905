"""Unified Social Credit Codes (统一社会信用代码, GB 32100-2015).

Structure of the 18 characters::

    R C DDDDDD OOOOOOOOK Z
    | | |      |       | └ check character over the first 17 (MOD 31)
    | | |      |       └── check character of the organisation code (GB 11714, MOD 11)
    | | |      └────────── organisation code body (主体标识码)
    | | └───────────────── administrative division of the registering authority (GB/T 2260)
    | └─────────────────── organisation category, meaning depends on R
    └───────────────────── registration authority (登记管理部门)

The alphabet is ``0-9`` plus the capital letters without I, O, S, V and Z, which are too easily
confused with 1, 0, 5, U and 2. Both check characters are verified: the MOD 31 one catches every
single-character typo anywhere, the MOD 11 one additionally tells a user that the organisation
code part (which older documents print on its own) is wrong.

Registration authorities and categories follow the table of the standard: 1 机构编制, 2 外交,
3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商/市场监管, A 中央军委改革和编制办公室,
N 农业, Y 其他. Companies are ``91``, sole traders ``92``, farmers' cooperatives ``93``; law firms
(``31``) and foundations (``53``) sign contracts too, so the whole table is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .resident_id import PROVINCE_CODES
from .validation import InvalidIdentifier, ValidationResult, checks, clean_input

__all__ = [
    "ALPHABET",
    "AUTHORITIES",
    "Uscc",
    "org_code_check_char",
    "parse_uscc",
    "require_uscc",
    "uscc_check_char",
    "validate_uscc",
]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
CONFUSABLE = {"I": "1", "O": "0", "S": "5", "V": "U", "Z": "2"}

#: Registration authority → (Chinese name, English name, {category: (zh, en)}).
AUTHORITIES: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "1": ("机构编制", "establishment administration", {
        "1": ("机关", "government organ"),
        "2": ("事业单位", "public institution"),
        "3": ("中央编办直接管理机构编制的群众团体", "mass organisation under the central establishment office"),
        "9": ("其他", "other"),
    }),
    "2": ("外交", "foreign affairs", {
        "1": ("外国常驻新闻机构", "resident foreign news agency"),
        "9": ("其他", "other"),
    }),
    "3": ("司法行政", "justice administration", {
        "1": ("律师执业机构", "law firm"),
        "2": ("公证处", "notary office"),
        "3": ("基层法律服务所", "grassroots legal service office"),
        "4": ("司法鉴定机构", "forensic appraisal institution"),
        "5": ("仲裁委员会", "arbitration commission"),
        "9": ("其他", "other"),
    }),
    "4": ("文化", "culture", {
        "1": ("外国在华文化中心", "foreign cultural centre in China"),
        "9": ("其他", "other"),
    }),
    "5": ("民政", "civil affairs", {
        "1": ("社会团体", "social organisation"),
        "2": ("民办非企业单位", "private non-enterprise unit"),
        "3": ("基金会", "foundation"),
        "9": ("其他", "other"),
    }),
    "6": ("旅游", "tourism", {
        "1": ("外国旅游部门常驻代表机构", "representative office of a foreign tourism authority"),
        "2": ("港澳台地区旅游部门常驻内地（大陆）代表机构", "representative office of a Hong Kong, Macao or Taiwan tourism authority"),
        "9": ("其他", "other"),
    }),
    "7": ("宗教", "religious affairs", {
        "1": ("宗教活动场所", "place of religious activity"),
        "2": ("宗教院校", "religious school"),
        "9": ("其他", "other"),
    }),
    "8": ("工会", "trade unions", {
        "1": ("基层工会", "grassroots trade union"),
        "9": ("其他", "other"),
    }),
    "9": ("工商", "market regulation", {
        "1": ("企业", "enterprise"),
        "2": ("个体工商户", "individual business"),
        "3": ("农民专业合作社", "farmers' cooperative"),
    }),
    "A": ("中央军委改革和编制办公室", "Central Military Commission reform and establishment office", {
        "1": ("军队事业单位", "military public institution"),
        "9": ("其他", "other"),
    }),
    "N": ("农业", "agriculture", {
        "1": ("组级集体经济组织", "group-level collective economic organisation"),
        "2": ("村级集体经济组织", "village-level collective economic organisation"),
        "3": ("乡镇级集体经济组织", "township-level collective economic organisation"),
        "9": ("其他", "other"),
    }),
    "Y": ("其他", "other", {
        "1": ("其他", "other"),
    }),
}  # fmt: skip

# Division codes of central-level authorities start with 10 (e.g. 100000); the rest are provinces.
DIVISION_PREFIXES = frozenset(PROVINCE_CODES) | {"10"}


@dataclass(frozen=True, slots=True)
class Uscc:
    """A checked code with its parts named."""

    code: str

    @property
    def authority(self) -> str:
        return self.code[0]

    @property
    def category(self) -> str:
        return self.code[1]

    @property
    def division_code(self) -> str:
        return self.code[2:8]

    @property
    def org_code(self) -> str:
        """The organisation code (组织机构代码) as printed on its own: ``71526726-X``."""
        return f"{self.code[8:16]}-{self.code[16]}"

    @property
    def authority_name(self) -> tuple[str, str]:
        zh, en, _ = AUTHORITIES[self.authority]
        return zh, en

    @property
    def category_name(self) -> tuple[str, str]:
        return AUTHORITIES[self.authority][2][self.category]

    @property
    def is_enterprise(self) -> bool:
        return self.code.startswith("91")

    def __str__(self) -> str:
        return self.code


def uscc_check_char(first17: str) -> str:
    """The MOD 31 check character for 17 characters of the USCC alphabet."""
    if len(first17) != 17 or any(ch not in VALUES for ch in first17):
        raise ValueError("need exactly 17 characters of the USCC alphabet")
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _org_value(ch: str) -> int:
    if "0" <= ch <= "9":
        return ord(ch) - ord("0")
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"not an organisation-code character: {ch!r}")


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character for the 8-character organisation code body."""
    if len(body8) != 8:
        raise ValueError("need exactly 8 characters")
    total = sum(_org_value(ch) * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


@checks("uscc")
def validate_uscc(value: str | None) -> ValidationResult:
    """Check a USCC; ``normalized`` is upper-case without spaces or dashes.

    The order of checks (length, alphabet, authority, category, division, organisation code, main
    check character) gives the most specific reason a user can act on. Every single-character
    change of a valid code fails at least the main check.
    """
    text = clean_input(value, drop=" \t\r\n-")
    if not text:
        return ValidationResult.fail("empty", "请输入统一社会信用代码", "Enter a credit code")
    if len(text) != 18:
        return ValidationResult.fail(
            "wrong_length",
            f"统一社会信用代码应为 18 位，当前为 {len(text)} 位",
            f"A unified social credit code has 18 characters, this one has {len(text)}",
            text,
            length=len(text),
        )
    for position, ch in enumerate(text, start=1):
        if ch in VALUES:
            continue
        if ch in CONFUSABLE:
            hint_zh = f"（代码中不使用字母 {ch}，是否应为 {CONFUSABLE[ch]}？）"
            hint_en = f" (the letter {ch} is never used; did you mean {CONFUSABLE[ch]}?)"
        else:
            hint_zh = hint_en = ""
        return ValidationResult.fail(
            "illegal_character",
            f"第 {position} 位字符 {ch} 不允许{hint_zh}",
            f"Character {position} '{ch}' is not allowed{hint_en}",
            text,
            position=position,
            character=ch,
        )
    authority = AUTHORITIES.get(text[0])
    if authority is None:
        return ValidationResult.fail(
            "bad_authority",
            f"第 1 位 {text[0]} 不是有效的登记管理部门代码",
            f"Character 1 '{text[0]}' is not a registration authority code",
            text,
        )
    if text[1] not in authority[2]:
        return ValidationResult.fail(
            "bad_category",
            f"第 2 位 {text[1]} 不是{authority[0]}部门的机构类别代码",
            f"Character 2 '{text[1]}' is not an organisation category of the {authority[1]} authority",
            text,
        )
    division = text[2:8]
    if not division.isdigit() or division[:2] not in DIVISION_PREFIXES:
        return ValidationResult.fail(
            "bad_division_code",
            f"第 3-8 位 {division} 不是有效的行政区划代码",
            f"Characters 3-8 '{division}' are not an administrative division code",
            text,
        )
    expected_org = org_code_check_char(text[8:16])
    if text[16] != expected_org:
        return ValidationResult.fail(
            "bad_org_code_check",
            f"组织机构代码（第 9-17 位）校验码错误：第 17 位应为 {expected_org}",
            f"The organisation code (characters 9-17) fails its check: character 17 should be {expected_org}",
            text,
            expected=expected_org,
        )
    expected = uscc_check_char(text[:17])
    if text[17] != expected:
        return ValidationResult.fail(
            "bad_check_digit",
            f"校验码错误：最后一位应为 {expected}，请检查是否输错",
            f"Check character mismatch: the last character should be {expected}; check for a typo",
            text,
            expected=expected,
        )
    category = authority[2][text[1]]
    return ValidationResult.ok(
        text,
        f"统一社会信用代码格式正确（{authority[0]}·{category[0]}）",
        f"The credit code is well-formed ({authority[1]}, {category[1]})",
        authority=text[0],
        category=text[1],
        division=division,
    )


def parse_uscc(value: str | None) -> Uscc | None:
    """The checked code, or ``None`` when invalid."""
    result = validate_uscc(value)
    return Uscc(result.normalized) if result.valid and result.normalized else None


def require_uscc(value: str | None) -> Uscc:
    """Like :func:`parse_uscc` but raises :class:`InvalidIdentifier` with the reason."""
    result = validate_uscc(value)
    if not result.valid or result.normalized is None:
        raise InvalidIdentifier(result)
    return Uscc(result.normalized)
