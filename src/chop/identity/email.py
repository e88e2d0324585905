"""E-mail addresses, normalised one way for every caller.

The normalised form is the whole address, NFKC-folded (Chinese input methods type full-width
``＠`` and letters), stripped and lower-cased. Lower-casing the local part is not what RFC 5321
promises, but every mail provider people here use treats it case-blind, and the account table,
invitations and code caps must see ``Li@Example.com`` and ``li@example.com`` as one person: an
invitation is matched to an account by comparing the two normalised strings.

Only the shape is checked (one ``@``, a dot-atom local part, a dotted domain whose last label is
not numeric; internationalised domains are checked in their IDNA form). Whether the address
belongs to the person is proven by the one-time code, not here.
"""

from __future__ import annotations

import re
import unicodedata

from .validation import InvalidIdentifier, ValidationResult

__all__ = ["normalize_email", "require_email", "validate_email"]

_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_MAX_LENGTH = 254  # the longest address an SMTP path can carry


def normalize_email(value: str | None) -> str:
    """The comparable form of ``value`` (folded, stripped, lower-cased), valid or not."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", value).strip().lower()


def _domain_ok(domain: str) -> bool:
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return False
    return all(_LABEL.fullmatch(label) for label in labels)


def validate_email(value: str | None) -> ValidationResult:
    """Check an e-mail address; ``normalized`` is the lower-cased address."""
    text = normalize_email(value)
    if not text:
        return ValidationResult.fail("empty", "请输入邮箱地址", "Enter an e-mail address")
    local, at, domain = text.rpartition("@")
    if (
        not at
        or len(text) > _MAX_LENGTH
        or len(local) > 64
        or not _LOCAL.fullmatch(local)
        or not _domain_ok(domain)
    ):
        return ValidationResult.fail(
            "malformed", "邮箱地址格式不正确", "The e-mail address is malformed", text
        )
    return ValidationResult.ok(text, "邮箱地址格式正确", "The e-mail address is well-formed")


def require_email(value: str | None) -> str:
    """The normalised address, or :class:`InvalidIdentifier` with the reason."""
    result = validate_email(value)
    if not result.valid or result.normalized is None:
        raise InvalidIdentifier(result)
    return result.normalized
