"""Mainland China mobile numbers.

Accepted: 11 digits starting ``13``-``19``, optionally preceded by ``+86``, ``0086`` or ``86``
and broken up by spaces, dashes, dots or brackets as people copy them from business cards
(``+86 138-0013-8000``, ``(+86)13800138000``). The normalised form is the bare 11 digits, which is
what SMS gateways and the account table use; :func:`to_e164` gives ``+8613800138000``.

Only the shape is checked: number ranges are reassigned between carriers and new prefixes appear
(``192`` in 2019), so a prefix whitelist would reject real numbers. Whether the number belongs to
the person is proven by the one-time code, not here.
"""

from __future__ import annotations

from .validation import InvalidIdentifier, ValidationResult, checks, clean_input

__all__ = ["mask_mobile", "require_mobile", "to_e164", "validate_mobile"]

SEPARATORS = " \t\r\n-.()"


@checks("phone")
def validate_mobile(value: str | None) -> ValidationResult:
    """Check a mobile number; ``normalized`` is the 11 bare digits."""
    text = clean_input(value, drop=SEPARATORS)
    if not text:
        return ValidationResult.fail("empty", "请输入手机号码", "Enter a mobile number")
    if text.startswith("+86"):
        digits = text[3:]
    elif text.startswith("0086"):
        digits = text[4:]
    elif text.startswith("86") and len(text) == 13:
        digits = text[2:]
    elif text.startswith("+"):
        return ValidationResult.fail(
            "not_mainland",
            "仅支持中国大陆手机号码（+86）",
            "Only mainland China mobile numbers (+86) are supported",
        )
    else:
        digits = text
    if not (digits.isascii() and digits.isdigit()):
        return ValidationResult.fail(
            "illegal_character",
            "手机号码只能包含数字",
            "A mobile number may contain only digits",
        )
    if len(digits) != 11:
        return ValidationResult.fail(
            "wrong_length",
            f"手机号码应为 11 位，当前为 {len(digits)} 位",
            f"A mobile number has 11 digits, this one has {len(digits)}",
            length=len(digits),
        )
    if digits[0] != "1" or digits[1] not in "3456789":
        return ValidationResult.fail(
            "bad_prefix",
            "手机号码应以 13-19 开头",
            "A mobile number starts with 13 to 19",
            digits,
        )
    return ValidationResult.ok(digits, "手机号码格式正确", "The mobile number is well-formed")


def require_mobile(value: str | None) -> str:
    """The normalised 11 digits, or :class:`InvalidIdentifier` with the reason."""
    result = validate_mobile(value)
    if not result.valid or result.normalized is None:
        raise InvalidIdentifier(result)
    return result.normalized


def to_e164(value: str) -> str:
    """``+86`` followed by the 11 digits; raises :class:`InvalidIdentifier` when invalid."""
    return "+86" + require_mobile(value)


def mask_mobile(value: str | None) -> str:
    """``138****8000``: enough for a person to recognise their number, for logs and screens."""
    result = validate_mobile(value)
    digits = result.normalized if result.valid and result.normalized else clean_input(value or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
