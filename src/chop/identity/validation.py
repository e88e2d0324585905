"""The shared shape of every local check: a result that says *why*, with a code the app renders.

Validators never raise on bad input: a form needs the reason to show the user, the audit record
needs a stable machine code, and both are cheaper to get from one value than from an exception.
The ``require_*`` helpers in each module raise :class:`InvalidIdentifier` for code paths where
bad input is a programming error or where the caller simply wants to stop.
"""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = ["InvalidIdentifier", "ValidationResult", "clean_input", "checks"]


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Outcome of a local check.

    ``reason_code`` is ``"ok"`` when valid, otherwise a stable snake_case code that callers may
    branch on and store. ``normalized`` is the canonical form (upper-case, no spaces, no country
    prefix) when the input could be normalised, even if it then failed a later check, so a form
    can redisplay what was understood. ``details`` holds extra facts such as the expected check
    character. ``sensitive`` results (resident ID numbers) hide ``normalized`` in ``repr`` so that
    logging a result never writes a full ID number to a log.

    For people, the app renders ``code`` and ``params`` through ``chop.explain`` (namespace
    ``identity``). ``subject`` says which check answered (``resident_id``, ``uscc``, ``phone``,
    ``name``): reason codes such as ``empty`` or ``wrong_length`` are only unique per check, so
    ``code`` is ``"<subject>.<reason_code>"``. ``message_zh``/``message_en`` stay for the command
    line, logs and stored evidence.
    """

    namespace: ClassVar[str] = "identity"

    valid: bool
    reason_code: str
    message_zh: str
    message_en: str
    normalized: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    sensitive: bool = False
    subject: str = ""

    def __bool__(self) -> bool:
        return self.valid

    @property
    def code(self) -> str:
        return f"{self.subject}.{self.reason_code}" if self.subject else self.reason_code

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.details)

    @property
    def message(self) -> str:
        """Both languages, Chinese first, for command lines and logs."""
        return f"{self.message_zh} / {self.message_en}"

    def __repr__(self) -> str:
        shown = self.normalized
        if self.sensitive and shown is not None:
            from .resident_id import mask_id_number  # local import: resident_id imports us

            shown = mask_id_number(shown)
        return (
            f"ValidationResult(valid={self.valid}, reason_code={self.reason_code!r}, "
            f"normalized={shown!r}, details={self.details!r})"
        )

    __str__ = __repr__

    @classmethod
    def ok(
        cls,
        normalized: str,
        message_zh: str,
        message_en: str,
        *,
        sensitive: bool = False,
        **details: Any,
    ) -> ValidationResult:
        return cls(True, "ok", message_zh, message_en, normalized, dict(details), sensitive)

    @classmethod
    def fail(
        cls,
        reason_code: str,
        message_zh: str,
        message_en: str,
        normalized: str | None = None,
        *,
        sensitive: bool = False,
        subject: str = "",
        **details: Any,
    ) -> ValidationResult:
        return cls(
            False,
            reason_code,
            message_zh,
            message_en,
            normalized,
            dict(details),
            sensitive,
            subject,
        )


def checks(
    subject: str,
) -> Callable[[Callable[..., ValidationResult]], Callable[..., ValidationResult]]:
    """Mark every result of a validator with the ``subject`` it checked (see ``code``)."""

    def wrap(validate: Callable[..., ValidationResult]) -> Callable[..., ValidationResult]:
        @functools.wraps(validate)
        def validator(*args: Any, **kwargs: Any) -> ValidationResult:
            return dataclasses.replace(validate(*args, **kwargs), subject=subject)

        return validator

    return wrap


class InvalidIdentifier(ValueError):
    """Raised by the ``require_*`` helpers; carries the full :class:`ValidationResult`.

    The exception text is the bilingual message only: it never contains the rejected value, so an
    uncaught exception cannot leak an ID number into a traceback in the logs.
    """

    def __init__(self, result: ValidationResult) -> None:
        super().__init__(result.message)
        self.result = result

    @property
    def reason_code(self) -> str:
        return self.result.reason_code


def clean_input(value: object, *, drop: str = " \t\r\n") -> str:
    """NFKC-normalise and strip separators.

    Chinese input methods readily produce full-width digits and letters (``１１０``, ``Ｘ``) and
    ideographic spaces; NFKC folds them to ASCII so users are not rejected for their keyboard.
    ``drop`` lists the characters removed anywhere in the string (after folding).
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    text = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in text if ch not in drop).upper()
