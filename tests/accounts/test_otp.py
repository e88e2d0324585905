"""The one-time-code rules: hashing, expiry, attempts, resend interval, daily caps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone, translation

from chop.accounts import otp, outbox
from chop.accounts.models import OneTimeCode
from chop.audit.models import AuditEvent

PHONE = "13800138000"


def req(ip: str = "10.0.0.1"):
    return RequestFactory().post("/accounts/send-code/", REMOTE_ADDR=ip)


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English here; test_messages_are_translated covers Chinese."""
    with translation.override("en"):
        yield


def test_issue_sends_six_digits_and_stores_only_a_hash():
    issued = otp.issue_code("+86 138-0013-8000", "register", request=req())
    code = outbox.last_code(PHONE)
    assert code is not None and len(code) == 6 and code.isdigit()
    assert issued.target == PHONE and issued.channel == "sms" and issued.masked == "138****8000"
    row = OneTimeCode.objects.get()
    assert code not in row.code_hash and code not in row.salt
    assert len(row.code_hash) == 64 and row.code_hash == otp.hash_code(
        code, row.salt, PHONE, "register"
    )
    assert row.ip == "10.0.0.1"
    # And the audit trail says a code went out, without the code in it.
    event = AuditEvent.objects.get(action="otp.sent")
    assert event.data["purpose"] == "register" and event.data["channel"] == "sms"
    assert code not in str(event.data) and code not in event.object_label
    assert PHONE not in event.object_label and "138****8000" in event.object_label


def test_verify_accepts_the_code_once():
    otp.issue_code(PHONE, "login", request=req())
    code = outbox.last_code(PHONE)
    otp.verify_code(PHONE, "login", code)
    with pytest.raises(otp.CodeExpired):
        otp.verify_code(PHONE, "login", code)


def test_code_is_bound_to_its_purpose():
    otp.issue_code(PHONE, "register", request=req())
    with pytest.raises(otp.CodeExpired):  # there is no login code at all
        otp.verify_code(PHONE, "login", outbox.last_code(PHONE))


def test_expired_after_ttl(settings):
    start = timezone.now()
    otp.issue_code(PHONE, "login", request=req(), now=start)
    code = outbox.last_code(PHONE)
    with pytest.raises(otp.CodeExpired) as err:
        otp.verify_code(
            PHONE, "login", code, now=start + timedelta(seconds=settings.CHOP_OTP_TTL_SECONDS)
        )
    assert "expired" in str(err.value)
    # One second earlier it was still good.
    otp.verify_code(
        PHONE, "login", code, now=start + timedelta(seconds=settings.CHOP_OTP_TTL_SECONDS - 1)
    )


def test_expiry_with_monkeypatched_clock(monkeypatch):
    otp.issue_code(PHONE, "reset", request=req())
    code = outbox.last_code(PHONE)
    later = timezone.now() + timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with pytest.raises(otp.CodeExpired):
        otp.verify_code(PHONE, "reset", code)


def test_wrong_code_counts_attempts_then_locks_the_code():
    otp.issue_code(PHONE, "login", request=req())
    code = outbox.last_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(otp.WrongCode) as err:
            otp.verify_code(PHONE, "login", wrong)
        assert err.value.attempts_left == left
        assert f"{left} attempt" in str(err.value)
    with pytest.raises(otp.TooManyAttempts):
        otp.verify_code(PHONE, "login", wrong)
    # The right code no longer helps: five failures burnt it.
    with pytest.raises(otp.TooManyAttempts):
        otp.verify_code(PHONE, "login", code)
    assert OneTimeCode.objects.get().attempts == 5


def test_resend_interval_says_how_long_to_wait():
    start = timezone.now()
    otp.issue_code(PHONE, "register", request=req(), now=start)
    with pytest.raises(otp.TooSoon) as err:
        otp.issue_code(PHONE, "register", request=req(), now=start + timedelta(seconds=15))
    assert err.value.seconds == 45
    assert "45 seconds" in str(err.value)
    otp.issue_code(PHONE, "register", request=req(), now=start + timedelta(seconds=60))
    assert len(outbox.messages(PHONE)) == 2
    # A code for another purpose is not a resend (e.g. confirming a phone right after signing up).
    otp.issue_code(PHONE, "confirm", request=req(), now=start + timedelta(seconds=61))
    assert len(outbox.messages(PHONE)) == 3


def test_newer_code_replaces_older_one():
    start = timezone.now()
    otp.issue_code(PHONE, "register", request=req(), now=start)
    first = outbox.last_code(PHONE)
    otp.issue_code(PHONE, "register", request=req(), now=start + timedelta(seconds=61))
    second = outbox.last_code(PHONE)
    if first != second:
        with pytest.raises(otp.WrongCode):
            otp.verify_code(PHONE, "register", first, now=start + timedelta(seconds=62))
    otp.verify_code(PHONE, "register", second, now=start + timedelta(seconds=62))


def test_daily_cap_per_target(settings):
    settings.CHOP_OTP_DAILY_CAP_PER_TARGET = 3
    # Start just after local midnight so all sends fall on one local day.
    day = timezone.localtime().replace(hour=0, minute=1, second=0, microsecond=0)
    for i in range(3):
        otp.issue_code(
            PHONE, "login", request=req(f"10.0.0.{i}"), now=day + timedelta(minutes=2 * i)
        )
    with pytest.raises(otp.DailyCapReached) as err:
        otp.issue_code(PHONE, "login", request=req("10.0.1.1"), now=day + timedelta(minutes=10))
    assert err.value.scope == "target" and "tomorrow" in str(err.value)
    # Another number from the same place is fine, and the next day the cap is lifted.
    otp.issue_code("13900139000", "login", request=req(), now=day + timedelta(minutes=10))
    otp.issue_code(PHONE, "login", request=req(), now=day + timedelta(days=1))


def test_daily_cap_per_ip(settings):
    settings.CHOP_OTP_DAILY_CAP_PER_IP = 2
    day = timezone.localtime().replace(hour=0, minute=1, second=0, microsecond=0)
    otp.issue_code("13800000001", "register", request=req("10.9.9.9"), now=day)
    otp.issue_code("a@example.com", "register", request=req("10.9.9.9"), now=day)
    with pytest.raises(otp.DailyCapReached) as err:
        otp.issue_code("13800000002", "register", request=req("10.9.9.9"), now=day)
    assert err.value.scope == "ip"
    otp.issue_code("13800000002", "register", request=req("10.9.9.8"), now=day)


def test_failed_delivery_is_not_counted(settings):
    settings.CHOP_SMS_SENDER = "http"
    settings.CHOP_SMS_HTTP_URL = "http://127.0.0.1:9/unreachable"  # discard port: refused
    settings.CHOP_SMS_HTTP_TIMEOUT = 1
    with pytest.raises(otp.DeliveryFailed) as err:
        otp.issue_code(PHONE, "register", request=req())
    assert "could not send" in str(err.value)
    assert not OneTimeCode.objects.exists()
    assert not AuditEvent.objects.filter(action="otp.sent").exists()
    # So the user may try again at once.
    settings.CHOP_SMS_SENDER = "console"
    otp.issue_code(PHONE, "register", request=req())


def test_decoy_is_limited_like_a_real_code_but_never_verifies():
    start = timezone.now()
    otp.issue_code(PHONE, "reset", request=req(), deliver=False, now=start)
    assert outbox.messages() == []
    with pytest.raises(otp.TooSoon):
        otp.issue_code(
            PHONE, "reset", request=req(), deliver=False, now=start + timedelta(seconds=1)
        )
    for guess in ("000000", "123456"):
        with pytest.raises(otp.WrongCode):
            otp.verify_code(PHONE, "reset", guess, now=start + timedelta(seconds=2))


def test_invalid_target_is_an_otp_error():
    with pytest.raises(otp.InvalidTarget) as err:
        otp.issue_code("12345", "login", request=req())
    assert "mobile number" in str(err.value)


def test_unknown_purpose_is_a_programming_error():
    with pytest.raises(ValueError):
        otp.issue_code(PHONE, "nonsense", request=req())


def test_messages_are_translated():
    with translation.override("zh-hans"):
        assert "秒" in str(otp.TooSoon(30))
        assert "4" in str(otp.WrongCode(4)) and "次" in str(otp.WrongCode(4))
        assert "过期" in str(otp.CodeExpired())
