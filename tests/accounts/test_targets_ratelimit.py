"""Target parsing and the database rate limiter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chop.accounts import ratelimit
from chop.accounts.targets import EMAIL, PHONE, parse_target


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "+8613800138000", "+86 138 0013 8000", "138-0013-8000", "008613800138000"],
)
def test_mainland_mobile_spellings(raw):
    t = parse_target(raw)
    assert (t.value, t.kind, t.masked) == ("13800138000", PHONE, "138****8000")


@pytest.mark.parametrize(
    "raw", ["", "12800138000", "1380013800", "138001380000", "+1 4155550100", "abc"]
)
def test_rejects_non_mainland_mobiles(raw):
    with pytest.raises(ValidationError):
        parse_target(raw)


def test_email_is_lower_cased_and_validated():
    t = parse_target("  Li.Si@Example.COM ")
    assert (t.value, t.kind, t.masked) == ("li.si@example.com", EMAIL, "li***@example.com")
    with pytest.raises(ValidationError):
        parse_target("li@")


@pytest.mark.django_db
def test_fixed_window_counts_and_resets():
    t0 = timezone.now().replace(microsecond=0)
    t0 -= timedelta(seconds=t0.second % 60)  # start of a minute window
    results = [
        ratelimit.hit("k", limit=3, window=60, now=t0 + timedelta(seconds=i)) for i in range(5)
    ]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert results[-1].count == 5
    assert not ratelimit.peek("k", limit=3, window=60, now=t0 + timedelta(seconds=30)).allowed
    # A separate key is independent; the next window starts afresh.
    assert ratelimit.hit("other", limit=3, window=60, now=t0).allowed
    assert ratelimit.hit("k", limit=3, window=60, now=t0 + timedelta(seconds=60)).count == 1
