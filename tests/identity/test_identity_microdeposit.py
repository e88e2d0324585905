"""Micro-deposit decision: right amount, wrong amounts, lock-out, expiry, parsing, secrecy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chop.identity import MicroDeposit, Outcome, parse_amount_fen

T0 = dt.datetime(2026, 11, 21, 5, 0, tzinfo=dt.UTC)


def deposit(amount: int = 37) -> MicroDeposit:
    return MicroDeposit(amount, T0, T0 + dt.timedelta(hours=72))


def test_issue_draws_1_to_99_fen_and_sets_72_hours() -> None:
    amounts = {MicroDeposit.issue(now=T0).amount_fen for _ in range(2000)}
    assert amounts <= set(range(1, 100))
    assert len(amounts) > 80  # random, not a constant
    d = MicroDeposit.issue(now=T0)
    assert d.expires_at - d.created_at == dt.timedelta(hours=72)
    assert d.max_attempts == 3 and d.attempts_left == 3


def test_right_amount_verifies() -> None:
    d = deposit(37)
    result = d.check("0.37", now=T0 + dt.timedelta(hours=1))
    assert result.status is Outcome.VERIFIED and result.verified
    assert d.verified_at == T0 + dt.timedelta(hours=1)
    # Once used it cannot be used again, whatever is entered.
    again = d.check("0.37", now=T0 + dt.timedelta(hours=2))
    assert again.status is Outcome.REFUSED and again.reason_code == "already_used"


def test_right_amount_after_two_wrong_ones_still_verifies() -> None:
    d = deposit(5)
    assert d.check("0.50", now=T0).reason_code == "wrong_amount"
    assert d.check("0.06", now=T0).reason_code == "wrong_amount"
    assert d.check("0.05", now=T0).verified


def test_wrong_amounts_count_and_three_lock() -> None:
    d = deposit(37)
    first = d.check("0.36", now=T0)
    assert (first.status, first.reason_code, first.attempts_left, first.counted) == (
        Outcome.REFUSED,
        "wrong_amount",
        2,
        True,
    )
    assert "2" in first.message_zh
    second = d.check("0.38", now=T0)
    assert second.attempts_left == 1
    third = d.check("0.73", now=T0)
    assert third.reason_code == "too_many_attempts" and third.attempts_left == 0
    assert d.locked
    # Locked: even the right amount is refused now, and nothing more is counted.
    after = d.check("0.37", now=T0)
    assert after.status is Outcome.REFUSED
    assert after.reason_code == "too_many_attempts" and not after.counted
    assert d.attempts_used == 3 and d.verified_at is None


def test_expired_is_refused_even_with_the_right_amount() -> None:
    d = deposit(37)
    at_expiry = d.check("0.37", now=T0 + dt.timedelta(hours=72))
    assert at_expiry.status is Outcome.REFUSED and at_expiry.reason_code == "expired"
    assert not at_expiry.counted and d.verified_at is None
    just_before = deposit(37).check(
        "0.37", now=T0 + dt.timedelta(hours=72) - dt.timedelta(seconds=1)
    )
    assert just_before.verified


@pytest.mark.parametrize(
    "typed", ["abc", "", "1.00", "1", "0", "0.00", "-0.37", "0.375", "0.3.7", "37", "NaN", "1e-2x"]
)
def test_malformed_or_impossible_input_does_not_use_an_attempt(typed: str) -> None:
    d = deposit(37)
    result = d.check(typed, now=T0)
    assert result.reason_code == "invalid_amount"
    assert not result.counted and d.attempts_used == 0


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("0.37", 37),
        (".37", 37),
        ("0.3", 30),
        ("0.30", 30),
        ("0.05", 5),
        ("¥0.37", 37),
        ("￥ 0.37", 37),
        ("0.37元", 37),
        ("RMB 0.37", 37),
        ("cny0.37", 37),
        ("37分", 37),
        ("０.３７", 37),
        (Decimal("0.37"), 37),
        (Decimal("0.370"), 37),
    ],
)
def test_amount_spellings(typed: str | Decimal, fen: int) -> None:
    assert parse_amount_fen(typed) == fen


def test_37_without_unit_is_not_read_as_fen() -> None:
    # "37" means ¥37, which is not a micro-deposit: better refused than silently guessed.
    assert parse_amount_fen("37") is None


def test_amount_stays_out_of_repr() -> None:
    d = deposit(37)
    assert "37" not in repr(d).replace("2026", "")
    assert "hidden" in repr(d)


def test_round_trip_through_storage_keeps_the_count() -> None:
    d = deposit(42)
    d.check("0.41", now=T0)
    stored = d.to_dict()
    loaded = MicroDeposit.from_dict(stored)
    assert loaded == d
    assert loaded.attempts_left == 2
    assert loaded.check("0.42", now=T0).verified


@pytest.mark.parametrize("amount", [0, 100, -1, True])
def test_impossible_amounts_are_refused_at_construction(amount: int) -> None:
    with pytest.raises(ValueError):
        MicroDeposit(amount, T0, T0 + dt.timedelta(hours=72))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        MicroDeposit(37, dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 4))


def test_transfer_request_carries_the_amount_and_a_fresh_request_id() -> None:
    d = deposit(8)
    first = d.transfer_request("深圳示例科技有限公司", "6222000011112345", "招商银行")
    second = d.transfer_request("深圳示例科技有限公司", "6222000011112345")
    assert first.amount_fen == 8 and first.bank_name == "招商银行"
    assert len(first.request_id) == 32 and first.request_id != second.request_id
