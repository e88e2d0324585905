"""Failed-login locks that a stranger cannot turn against somebody else (chop.accounts.lockout),
and one-time-code quotas that leave the owner a way in (chop.accounts.otp)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from chop.accounts import lockout, otp, outbox
from chop.accounts.models import KnownAddress, LoginFailures, User
from chop.audit.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

X = "10.20.0.1"  # the stranger's address
Y = "10.30.0.1"  # somewhere else


def login(client, who: str, password: str, ip: str):
    return client.post(
        reverse("accounts:login"), {"login": who, "password": password}, REMOTE_ADDR=ip
    )


def fail(client, who: str, ip: str, times: int = 1):
    for _ in range(times):
        resp = login(client, who, "wrong-password", ip)
    return resp


@pytest.fixture
def other(db) -> User:
    return User.objects.create_user("13900139000", PASSWORD, name="李四")


@pytest.fixture
def clock(monkeypatch):
    """A settable clock for every module that asks ``timezone.now()``; standing still unless
    advanced, so counters never straddle a window boundary mid-test. It starts at noon of the
    local day: daily caps count from local midnight, and a run near midnight (16:00 UTC in
    Asia/Shanghai) would otherwise cross into a new day while the test advances the clock."""
    noon = timezone.localtime(timezone.now()).replace(hour=12, minute=0, second=0, microsecond=0)
    state = {"now": noon}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])

    def advance(seconds: float) -> None:
        state["now"] += timedelta(seconds=seconds)

    advance.now = lambda: state["now"]  # type: ignore[attr-defined]
    return advance


def test_strangers_failures_do_not_lock_another_user_on_the_same_ip(client, user, other):
    assert fail(client, user.phone, X, times=5).status_code == 429
    resp = login(client, other.phone, PASSWORD, X)
    assert resp.status_code == 302 and int(client.session["_auth_user_id"]) == other.pk


def test_failures_on_one_ip_do_not_lock_the_account_elsewhere(client, user):
    assert fail(client, user.phone, X, times=5).status_code == 429
    assert login(client, user.phone, PASSWORD, X).status_code == 429
    resp = login(client, user.phone, PASSWORD, Y)
    assert resp.status_code == 302 and int(client.session["_auth_user_id"]) == user.pk


def test_code_login_from_the_locked_pair_is_refused_too(client, user):
    fail(client, user.phone, X, times=5)
    resp = client.post(
        reverse("accounts:login"),
        {"method": "code", "login": user.phone, "code": "000000"},
        REMOTE_ADDR=X,
    )
    assert resp.status_code == 429 and "登录失败次数过多" in resp.content.decode()


def test_delay_grows_with_each_further_failure_up_to_the_cap(client, user, clock, settings):
    settings.CHOP_LOGIN_DELAY_MAX_SECONDS = 600
    seen = []
    for _ in range(4):
        assert fail(client, user.phone, X).status_code == 200
    for _ in range(6):
        resp = fail(client, user.phone, X)
        assert resp.status_code == 429
        lock = lockout.check(user.phone, X)
        seen.append(lock.seconds)
        # Attempts during the lock are refused unchecked and do not extend it.
        login(client, user.phone, "wrong-again", X)
        assert lockout.check(user.phone, X).seconds == lock.seconds
        clock(lock.seconds + 1)
    assert seen == [60, 120, 240, 480, 600, 600]
    assert LoginFailures.objects.get(account=user.login, ip=X).failures == 10
    # The message gives the wait in minutes.
    fail(client, user.phone, X)
    clock(1)
    assert "10 分钟" in login(client, user.phone, PASSWORD, X).content.decode()


def test_success_clears_the_streak(client, user, clock):
    fail(client, user.phone, X, times=4)
    assert login(client, user.phone, PASSWORD, X).status_code == 302
    client.logout()
    assert fail(client, user.phone, X, times=4).status_code == 200
    assert LoginFailures.objects.get(account=user.login, ip=X).failures == 4


def test_correct_password_from_an_ip_locked_for_others_logs_in_and_is_not_counted(
    client, user, other, settings, clock
):
    settings.CHOP_LOGIN_FAILURES_PER_IP_PER_HOUR = 8
    # `other` has logged in from X before (its office address).
    assert login(client, other.phone, PASSWORD, X).status_code == 302
    client.logout()
    # A stranger at X: 5 failures lock (user, X), and guessing three more names fills X's limit.
    fail(client, user.phone, X, times=5)
    for n in ("13700000001", "13700000002", "13700000003"):
        fail(client, n, X)
    assert lockout.check("13700000004", X).scope == lockout.IP
    # The colleague who knows their password gets in from X.
    resp = login(client, other.phone, PASSWORD, X)
    assert resp.status_code == 302 and int(client.session["_auth_user_id"]) == other.pk
    assert not LoginFailures.objects.filter(account=other.login).exists()
    client.logout()
    # The victim's correct password during its own lock is refused, and not counted either.
    assert login(client, user.phone, PASSWORD, X).status_code == 429
    assert LoginFailures.objects.get(account=user.login, ip=X).failures == 5


def test_account_cap_across_ips_leaves_code_login_and_reset(client, user, settings, clock):
    settings.CHOP_LOGIN_FAILURES_PER_ACCOUNT_PER_DAY = 6
    for i in range(6):  # from six addresses, none of which reaches the per-pair limit
        fail(client, user.phone, f"10.40.0.{i}")
    resp = login(client, user.phone, PASSWORD, Y)
    assert resp.status_code == 429
    assert "一次性验证码" in resp.content.decode() or "验证码登录" in resp.content.decode()
    assert AuditEvent.objects.filter(action="account.login_failed", data__scope="account").exists()
    # The owner can still log in with a code.
    client.post(
        reverse("accounts:send_code"),
        {"login": user.phone, "purpose": "login"},
        REMOTE_ADDR=Y,
    )
    resp = client.post(
        reverse("accounts:login"),
        {"method": "code", "login": user.phone, "code": outbox.last_code(user.phone)},
        REMOTE_ADDR=Y,
    )
    assert resp.status_code == 302


def req(ip: str, user=None):
    r = RequestFactory().post("/accounts/send-code/", REMOTE_ADDR=ip)
    if user is not None:
        r.user = user
    return r


def test_victim_still_gets_a_code_after_a_stranger_exhausted_their_quota(user, clock):
    sent = 0
    with pytest.raises(otp.DailyCapReached):
        for _ in range(50):
            otp.issue_code(user.phone, "login", request=req(X))
            sent += 1
            clock(61)
    assert sent == 5  # CHOP_OTP_DAILY_CAP_PER_TARGET_IP: what one stranger address can send
    clock(61)
    issued = otp.issue_code(user.phone, "reset", request=req(Y))
    assert issued.target == user.phone


def test_owner_gets_codes_when_strangers_on_many_ips_fill_the_target_cap(user, clock, settings):
    # Strangers on four addresses send the daily maximum to the victim's number...
    for i in range(4):
        for _ in range(5):
            otp.issue_code(user.phone, "login", request=req(f"10.50.0.{i}"))
            clock(61)
    with pytest.raises(otp.DailyCapReached) as err:
        otp.issue_code(user.phone, "login", request=req("10.50.1.1"))
    assert err.value.scope == "target"  # SMS-bombing stays bounded at 20 a day
    # ...but the owner, from an address they have logged in from, or from their own session,
    # still gets login/reset/confirm codes.
    KnownAddress.objects.create(user=user, ip=Y, last_login_at=timezone.now())
    clock(61)
    otp.issue_code(user.phone, "reset", request=req(Y))
    otp.issue_code(user.phone, "confirm", request=req("10.60.0.1", user=user))
    with pytest.raises(otp.DailyCapReached):  # a stranger's new address still cannot
        otp.issue_code(user.phone, "register", request=req("10.50.2.1"))


def test_login_remembers_the_address(client, user):
    login(client, user.phone, PASSWORD, X)
    assert KnownAddress.objects.filter(user=user, ip=X).exists()
