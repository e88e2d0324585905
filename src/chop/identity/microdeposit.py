"""Bank micro-deposit verification (对公打款验证), the part that decides.

The platform sends a random amount under ¥1 to the company's bank account; whoever can read that
account's statement and type the amount back controls the account. The payment provider only moves
the money; the decision is made here, so it is the same whatever bank or gateway is used.

:class:`MicroDeposit` is a plain object without storage: the Django app keeps its fields in a row,
loads the row **with a lock** (``select_for_update``) before :meth:`MicroDeposit.check`, and saves
the fields afterwards. Without the lock two simultaneous wrong guesses could both be counted as the
first, giving an attacker more than three tries.

Rules: amount 1-99 fen drawn from :mod:`secrets` (a predictable amount would be guessable);
3 attempts; valid for 72 hours from creation. Malformed input (``abc``, ``1.5``, ``0.123``) does not
use an attempt: it can never be the right amount, so counting it only punishes typos. The
comparison is constant-time so response timing reveals nothing about the amount.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from .providers.base import Outcome, TransferRequest
from .validation import clean_input

__all__ = ["DepositCheck", "MicroDeposit", "parse_amount_fen"]

DEFAULT_ATTEMPTS = 3
DEFAULT_TTL = dt.timedelta(hours=72)
MIN_FEN, MAX_FEN = 1, 99


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_amount_fen(text: str | Decimal) -> int | None:
    """An entered amount in fen, or ``None`` when it is not a plausible amount.

    Accepts yuan as people read them off a statement: ``0.37``, ``.37``, ``¥0.37``, ``￥ 0.37``,
    ``0.37元``, ``RMB 0.37``, and fen written as ``37分``. More than two decimals, zero, negative
    amounts and amounts of ¥1 or more are rejected.
    """
    if isinstance(text, Decimal):
        value = text
    else:
        cleaned = clean_input(text, drop=" \t\r\n,")
        for prefix in ("¥", "RMB", "CNY"):
            cleaned = cleaned.removeprefix(prefix)
        cleaned = cleaned.removesuffix("元")
        if cleaned.endswith("分"):
            digits = cleaned[:-1]
            if not (digits.isascii() and digits.isdigit()):
                return None
            fen = int(digits)
            return fen if MIN_FEN <= fen <= MAX_FEN else None
        if not cleaned or not all(ch in "0123456789." for ch in cleaned) or cleaned.count(".") > 1:
            return None
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            return None
    if not value.is_finite():
        return None
    fen_value = value * 100
    if fen_value != fen_value.to_integral_value():
        return None
    fen = int(fen_value)
    return fen if MIN_FEN <= fen <= MAX_FEN else None


@dataclass(frozen=True, slots=True)
class DepositCheck:
    """Result of one :meth:`MicroDeposit.check`: VERIFIED or REFUSED with a reason.

    The app renders ``code`` (``"deposit.<reason_code>"``) and ``params`` through ``chop.explain``.
    """

    namespace: ClassVar[str] = "identity"

    status: Outcome
    reason_code: str
    message_zh: str
    message_en: str
    attempts_left: int
    counted: bool  # whether this check used an attempt

    @property
    def verified(self) -> bool:
        return self.status is Outcome.VERIFIED

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    @property
    def code(self) -> str:
        return f"deposit.{self.reason_code}"

    @property
    def params(self) -> dict[str, Any]:
        return {"attempts_left": self.attempts_left}


@dataclass(slots=True)
class MicroDeposit:
    """One micro-deposit challenge. Mutable: :meth:`check` counts attempts on the object."""

    amount_fen: int
    created_at: dt.datetime
    expires_at: dt.datetime
    max_attempts: int = DEFAULT_ATTEMPTS
    attempts_used: int = 0
    verified_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if isinstance(self.amount_fen, bool) or not MIN_FEN <= self.amount_fen <= MAX_FEN:
            raise ValueError("a micro-deposit is 1 to 99 fen")
        if self.created_at.tzinfo is None or self.expires_at.tzinfo is None:
            raise ValueError("times must be timezone-aware")
        if self.max_attempts < 1 or self.attempts_used < 0:
            raise ValueError("attempt counts out of range")

    @classmethod
    def issue(
        cls,
        *,
        now: dt.datetime | None = None,
        ttl: dt.timedelta = DEFAULT_TTL,
        max_attempts: int = DEFAULT_ATTEMPTS,
    ) -> MicroDeposit:
        """A new challenge with a random amount of 1-99 fen."""
        created = now or _now()
        amount = MIN_FEN + secrets.randbelow(MAX_FEN - MIN_FEN + 1)
        return cls(amount, created, created + ttl, max_attempts)

    def __repr__(self) -> str:
        # The amount is the secret: keep it out of logs and tracebacks.
        return (
            f"MicroDeposit(amount=<hidden>, expires_at={self.expires_at.isoformat()}, "
            f"attempts_used={self.attempts_used}/{self.max_attempts}, "
            f"verified={self.verified_at is not None})"
        )

    def transfer_request(
        self,
        account_name: str,
        account_number: str,
        bank_name: str | None = None,
    ) -> TransferRequest:
        """What to hand to the payment provider for this challenge (fresh ``request_id``)."""
        return TransferRequest.create(account_name, account_number, self.amount_fen, bank_name)

    @property
    def amount_yuan(self) -> str:
        """The amount as printed on a statement, ``0.37``."""
        return f"0.{self.amount_fen:02d}"

    @property
    def attempts_left(self) -> int:
        return max(self.max_attempts - self.attempts_used, 0)

    @property
    def locked(self) -> bool:
        return self.verified_at is None and self.attempts_left == 0

    def expired(self, now: dt.datetime | None = None) -> bool:
        return (now or _now()) >= self.expires_at

    def _result(self, ok: bool, code: str, zh: str, en: str, counted: bool) -> DepositCheck:
        status = Outcome.VERIFIED if ok else Outcome.REFUSED
        return DepositCheck(status, code, zh, en, self.attempts_left, counted)

    def check(self, entered: str | Decimal, *, now: dt.datetime | None = None) -> DepositCheck:
        """Compare an entered amount (yuan, see :func:`parse_amount_fen`) with the one sent."""
        now = now or _now()
        if self.verified_at is not None:
            return self._result(
                False,
                "already_used",
                "此验证已完成，无需再次输入",
                "This check is already complete",
                False,
            )
        if self.expired(now):
            return self._result(
                False,
                "expired",
                "打款验证已过期，请重新发起",
                "The micro-deposit has expired; start again",
                False,
            )
        if self.locked:
            return self._result(
                False,
                "too_many_attempts",
                "输入错误次数过多，请重新发起打款验证",
                "Too many wrong amounts; start a new micro-deposit",
                False,
            )
        fen = parse_amount_fen(entered)
        if fen is None:
            return self._result(
                False,
                "invalid_amount",
                "请输入收到的金额，例如 0.37（小于 1 元）",
                "Enter the amount received, e.g. 0.37 (less than ¥1)",
                False,
            )
        # Constant-time comparison of equal-length strings: timing says nothing about the amount.
        matches = hmac.compare_digest(f"{fen:02d}".encode(), f"{self.amount_fen:02d}".encode())
        if matches:
            self.verified_at = now
            return self._result(
                True,
                "ok",
                "金额正确，对公账户验证通过",
                "Amount correct: bank account verified",
                True,
            )
        self.attempts_used += 1
        if self.attempts_left == 0:
            return self._result(
                False,
                "too_many_attempts",
                "金额不正确，尝试次数已用完，请重新发起打款验证",
                "Wrong amount and no attempts left; start a new micro-deposit",
                True,
            )
        return self._result(
            False,
            "wrong_amount",
            f"金额不正确，还可尝试 {self.attempts_left} 次",
            f"Wrong amount; {self.attempts_left} attempt(s) left",
            True,
        )

    def to_dict(self) -> dict[str, Any]:
        """Fields for storage (the amount included: store it like a password reset token)."""
        return {
            "amount_fen": self.amount_fen,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "max_attempts": self.max_attempts,
            "attempts_used": self.attempts_used,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MicroDeposit:
        verified = data.get("verified_at")
        return cls(
            amount_fen=int(data["amount_fen"]),
            created_at=dt.datetime.fromisoformat(data["created_at"]),
            expires_at=dt.datetime.fromisoformat(data["expires_at"]),
            max_attempts=int(data["max_attempts"]),
            attempts_used=int(data["attempts_used"]),
            verified_at=dt.datetime.fromisoformat(verified) if verified else None,
        )
