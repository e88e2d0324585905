"""Account pages through the test client: register, log in (password / code), lockout, reset,
the send-code endpoint, and what goes into the audit log."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import get_hasher
from django.test import Client
from django.urls import reverse

from chop.accounts import outbox
from chop.accounts.models import OneTimeCode, User
from chop.audit.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-seal-2026"


def send_code(client: Client, login: str, purpose: str, ip: str = "127.0.0.1"):
    return client.post(
        reverse("accounts:send_code"),
        {"login": login, "purpose": purpose},
        HTTP_HX_REQUEST="true",
        REMOTE_ADDR=ip,
    )


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- pages render -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["login", "register", "reset"])
def test_pages_render_in_chinese_by_default(client, name):
    resp = client.get(reverse(f"accounts:{name}"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert {"login": "登录", "register": "注册", "reset": "重置密码"}[name] in html
    assert 'name="login"' in html


def test_login_page_links_and_tabs(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert reverse("accounts:register") in html and reverse("accounts:reset") in html
    assert 'name="password"' in html
    html = client.get(reverse("accounts:login") + "?tab=code").content.decode()
    assert 'name="code"' in html and reverse("accounts:send_code") in html


# --- registration -------------------------------------------------------------------------------


def test_register_by_phone(client):
    resp = send_code(client, "+86 139 0013 9000", "register")
    assert resp.status_code == 200
    assert "139****9000" in resp.content.decode() and "data-countdown" in resp.content.decode()
    code = outbox.last_code("13900139000")
    resp = client.post(
        reverse("accounts:register"),
        {
            "login": "+86 139 0013 9000",
            "code": code,
            "name": "王五",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert resp.status_code == 302 and resp["Location"] == reverse("workbench")
    user = User.objects.get(login="13900139000")
    assert user.phone == "13900139000" and user.email is None and user.name == "王五"
    assert user.language == "zh-hans"
    assert user.check_password(PASSWORD)
    assert client.get(reverse("workbench")).status_code == 200  # logged in
    assert actions() == ["otp.sent", "account.registered"]
    assert AuditEvent.objects.get(action="account.registered").actor == user


def test_register_by_email(client):
    send_code(client, "Wang.Wu@Example.com", "register")
    code = outbox.last_code("wang.wu@example.com")
    assert outbox.last_message("wang.wu@example.com")["channel"] == "email"
    resp = client.post(
        reverse("accounts:register"),
        {
            "login": "wang.wu@example.com",
            "code": code,
            "name": "Wang Wu",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert resp.status_code == 302
    user = User.objects.get(email="wang.wu@example.com")
    assert user.login == "wang.wu@example.com" and user.phone is None


def test_register_rejects_wrong_code_weak_and_mismatched_passwords(client):
    send_code(client, "13900139000", "register")
    code = outbox.last_code("13900139000")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    data = {
        "login": "13900139000",
        "code": wrong,
        "name": "王五",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    resp = client.post(reverse("accounts:register"), data)
    assert resp.status_code == 200 and "验证码错误" in resp.content.decode()
    resp = client.post(
        reverse("accounts:register"),
        {**data, "code": code, "password1": "12345678", "password2": "12345678"},
    )
    assert resp.status_code == 200 and not User.objects.exists()
    resp = client.post(
        reverse("accounts:register"), {**data, "code": code, "password2": "different-pass-1"}
    )
    assert resp.status_code == 200 and "两次输入的密码不一致" in resp.content.decode()
    # The code was not consumed by form errors; it still works.
    resp = client.post(reverse("accounts:register"), {**data, "code": code})
    assert resp.status_code == 302 and User.objects.filter(phone="13900139000").exists()


def test_register_invalid_phone_is_refused_by_send_code(client):
    resp = send_code(client, "12345678901", "register")
    assert resp.status_code == 200 and "手机号" in resp.content.decode()
    assert outbox.messages() == []


def test_register_existing_account_revealed_only_after_code(client, user):
    # Asking for a code looks exactly like it does for a new number ...
    resp = send_code(client, user.phone, "register")
    assert "138****8000" in resp.content.decode()
    code = outbox.last_code(user.phone)
    # ... and only the holder of the code learns the account exists.
    resp = client.post(
        reverse("accounts:register"),
        {
            "login": user.phone,
            "code": code,
            "name": "冒名",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert resp.status_code == 200 and "已注册" in resp.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.name == "张三"


def test_resend_too_soon_is_reported_with_seconds(client):
    send_code(client, "13900139000", "register")
    resp = send_code(client, "13900139000", "register")
    html = resp.content.decode()
    assert "秒后再获取验证码" in html and "data-countdown" in html
    assert len(outbox.messages()) == 1


def test_send_code_burst_limit_per_ip(client, settings):
    settings.CHOP_SEND_CODE_PER_IP_PER_MINUTE = 2
    send_code(client, "13900000001", "register", ip="10.1.1.1")
    send_code(client, "13900000002", "register", ip="10.1.1.1")
    resp = send_code(client, "13900000003", "register", ip="10.1.1.1")
    assert "秒" in resp.content.decode()
    assert outbox.last_code("13900000003") is None
    send_code(client, "13900000003", "register", ip="10.1.1.2")
    assert outbox.last_code("13900000003") is not None


def test_send_code_daily_ip_cap(client, settings):
    settings.CHOP_OTP_DAILY_CAP_PER_IP = 1
    send_code(client, "13900000001", "register", ip="10.1.1.1")
    resp = send_code(client, "13900000002", "register", ip="10.1.1.1")
    assert "明天" in resp.content.decode()
    assert outbox.last_code("13900000002") is None


def test_send_code_reports_gateway_failure(client, settings):
    settings.CHOP_SMS_SENDER = "http"
    settings.CHOP_SMS_HTTP_URL = "http://127.0.0.1:9/"
    resp = send_code(client, "13900139000", "register")
    assert "发送失败" in resp.content.decode()
    assert not OneTimeCode.objects.exists()


def test_send_code_is_post_only_and_csrf_protected():
    strict = Client(enforce_csrf_checks=True)
    assert strict.get(reverse("accounts:send_code")).status_code == 405
    resp = strict.post(
        reverse("accounts:send_code"), {"login": "13900139000", "purpose": "register"}
    )
    assert resp.status_code == 403
    assert outbox.messages() == []
    # With the token from the page (as htmx sends it in X-CSRFToken) it goes through.
    strict.get(reverse("accounts:register"))
    token = strict.cookies[django_settings.CSRF_COOKIE_NAME].value
    resp = strict.post(
        reverse("accounts:send_code"),
        {"login": "13900139000", "purpose": "register"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert resp.status_code == 200 and outbox.last_code("13900139000")


def test_send_code_refuses_confirm_purpose(client):
    assert send_code(client, "13900139000", "confirm").status_code == 400


def test_send_code_without_javascript(client):
    """The noscript "Get code" button submits the page form with action=send."""
    resp = client.post(reverse("accounts:register"), {"login": "13900139000", "action": "send"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert outbox.last_code("13900139000") and "139****9000" in html
    assert "data-step2 hidden" not in html


def test_login_code_without_javascript(client, user):
    resp = client.post(
        reverse("accounts:login"), {"method": "code", "login": user.phone, "action": "send"}
    )
    assert resp.status_code == 200 and 'name="code"' in resp.content.decode()
    assert "138****8000" in resp.content.decode()
    resp = client.post(
        reverse("accounts:login"),
        {"method": "code", "login": user.phone, "code": outbox.last_code(user.phone)},
    )
    assert resp.status_code == 302


# --- login --------------------------------------------------------------------------------------


def test_login_with_password_by_phone_and_email_spellings(client, user, email_user):
    resp = client.post(
        reverse("accounts:login"),
        {"method": "password", "login": "+86 138 0013 8000", "password": PASSWORD},
    )
    assert resp.status_code == 302 and resp["Location"] == reverse("workbench")
    client.post(reverse("accounts:logout"))
    resp = client.post(reverse("accounts:login"), {"login": "LI@example.com", "password": PASSWORD})
    assert resp.status_code == 302
    events = AuditEvent.objects.filter(action="account.login")
    assert {e.actor for e in events} == {user, email_user}
    assert all(e.data["method"] == "password" for e in events)


def test_login_redirects_to_safe_next_only(client, user):
    resp = client.post(
        reverse("accounts:login") + "?next=/seals/",
        {"login": user.phone, "password": PASSWORD, "next": "/seals/"},
    )
    assert resp["Location"] == "/seals/"
    client.post(reverse("accounts:logout"))
    resp = client.post(
        reverse("accounts:login"),
        {"login": user.phone, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert resp["Location"] == reverse("workbench")


def test_login_wrong_password(client, user):
    resp = client.post(reverse("accounts:login"), {"login": user.phone, "password": "nope-nope-1"})
    assert resp.status_code == 200
    assert "手机号、邮箱或密码错误" in resp.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="account.login_failed").data["method"] == "password"


def test_logout(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405  # POST only
    resp = client.post(reverse("accounts:logout"))
    assert resp.status_code == 302 and "_auth_user_id" not in client.session


def test_lockout_after_five_failures_with_message(client, user):
    for _ in range(4):
        resp = client.post(
            reverse("accounts:login"), {"login": user.phone, "password": "wrong-password"}
        )
        assert resp.status_code == 200
    resp = client.post(
        reverse("accounts:login"), {"login": user.phone, "password": "wrong-password"}
    )
    assert resp.status_code == 429
    html = resp.content.decode()
    assert "登录失败次数过多" in html and "1 分钟" in html  # the first delay of the pair
    assert 'name="login"' in html  # the login page itself, with the message
    # Now even the right password is refused, with the same message.
    resp = client.post(reverse("accounts:login"), {"login": user.phone, "password": PASSWORD})
    assert resp.status_code == 429 and "登录失败次数过多" in resp.content.decode()
    assert "_auth_user_id" not in client.session
    assert actions().count("account.locked") == 1
    assert actions().count("account.login_failed") == 5


def test_lockout_message_in_english(client, user):
    client.cookies["django_language"] = "en"
    for _ in range(5):
        resp = client.post(
            reverse("accounts:login"),
            {"login": user.phone, "password": "wrong-password"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert "Too many failed attempts" in resp.content.decode()
    assert "try again in 1 minute " in resp.content.decode()


def test_admin_login_goes_through_the_same_lockout(client, user):
    """Django's admin login is refused by the same per-(account, address) lock, with the same
    translated message, and its failures count under any spelling of the account."""
    url = reverse("admin:login")
    for _ in range(4):
        resp = client.post(url, {"username": "+86 " + user.phone, "password": "x"})
        assert "登录失败次数过多" not in resp.content.decode()
    resp = client.post(url, {"username": user.phone, "password": "x"})
    assert "登录失败次数过多" in resp.content.decode()
    # The same account from this address is locked on the site's login too...
    resp = client.post(reverse("accounts:login"), {"login": user.phone, "password": PASSWORD})
    assert resp.status_code == 429
    # ...and the admin refuses even the right password while the lock lasts.
    resp = client.post(url, {"username": user.phone, "password": PASSWORD})
    assert "登录失败次数过多" in resp.content.decode() and "_auth_user_id" not in client.session
    # From another address the owner logs in.
    resp = client.post(
        reverse("accounts:login"),
        {"login": user.phone, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    assert resp.status_code == 302


def test_login_with_code(client, user):
    resp = send_code(client, user.phone, "login")
    assert "如果该账号存在" in resp.content.decode()
    code = outbox.last_code(user.phone)
    resp = client.post(
        reverse("accounts:login"), {"method": "code", "login": user.phone, "code": code}
    )
    assert resp.status_code == 302 and resp["Location"] == reverse("workbench")
    assert AuditEvent.objects.get(action="account.login").data["method"] == "code"


def test_login_code_for_unknown_account_looks_the_same_but_sends_nothing(client):
    resp = send_code(client, "13700137000", "login")
    assert "如果该账号存在" in resp.content.decode() and "137****7000" in resp.content.decode()
    assert outbox.messages() == []
    resp = client.post(
        reverse("accounts:login"), {"method": "code", "login": "13700137000", "code": "123456"}
    )
    assert resp.status_code == 200 and "验证码错误" in resp.content.decode()


def test_failed_code_logins_count_towards_lockout(client, user):
    send_code(client, user.phone, "login")
    code = outbox.last_code(user.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        resp = client.post(
            reverse("accounts:login"), {"method": "code", "login": user.phone, "code": wrong}
        )
        assert resp.status_code == 200
    resp = client.post(
        reverse("accounts:login"), {"method": "code", "login": user.phone, "code": wrong}
    )
    assert resp.status_code == 429 and "登录失败次数过多" in resp.content.decode()
    # Password login for the same account is locked too: one counter for both ways in.
    resp = client.post(reverse("accounts:login"), {"login": user.phone, "password": PASSWORD})
    assert resp.status_code == 429
    assert actions().count("account.locked") == 1
    failed = AuditEvent.objects.filter(action="account.login_failed", data__method="code")
    assert failed.count() == 4


def test_code_login_rate_limited_per_ip(client, user, settings):
    settings.CHOP_CODE_LOGIN_PER_IP_PER_HOUR = 2
    settings.CHOP_LOGIN_FREE_FAILURES = 100
    for _ in range(2):
        client.post(
            reverse("accounts:login"), {"method": "code", "login": "13700137000", "code": "000000"}
        )
    resp = client.post(
        reverse("accounts:login"), {"method": "code", "login": user.phone, "code": "000000"}
    )
    assert resp.status_code == 429 and "尝试次数过多" in resp.content.decode()


# --- reset --------------------------------------------------------------------------------------


def test_reset_password(client, user):
    resp = send_code(client, "+86 13800138000", "reset")
    assert "如果该账号存在" in resp.content.decode()
    code = outbox.last_code(user.phone)
    resp = client.post(
        reverse("accounts:reset"),
        {"login": user.phone, "code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.get(action="account.password_reset").actor == user
    resp = client.post(reverse("accounts:login"), {"login": user.phone, "password": NEW_PASSWORD})
    assert resp.status_code == 302


def test_reset_lifts_a_lockout(client, user):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"login": user.phone, "password": "wrong-password"})
    send_code(client, user.phone, "reset")
    client.post(
        reverse("accounts:reset"),
        {
            "login": user.phone,
            "code": outbox.last_code(user.phone),
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    resp = client.post(reverse("accounts:login"), {"login": user.phone, "password": NEW_PASSWORD})
    assert resp.status_code == 302


def test_reset_for_unknown_account_says_the_same(client):
    resp = send_code(client, "nobody@example.com", "reset")
    assert "如果该账号存在" in resp.content.decode()
    assert outbox.messages() == []
    resp = client.post(
        reverse("accounts:reset"),
        {
            "login": "nobody@example.com",
            "code": "123456",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert resp.status_code == 200 and "验证码错误" in resp.content.decode()


# --- configuration ------------------------------------------------------------------------------


def test_configured_hasher_is_argon2():
    from chop import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_registration_stores_argon2_hash(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    assert get_hasher().algorithm == "argon2"
    send_code(client, "13900139000", "register")
    client.post(
        reverse("accounts:register"),
        {
            "login": "13900139000",
            "code": outbox.last_code("13900139000"),
            "name": "王五",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert User.objects.get(phone="13900139000").password.startswith("argon2$")


def test_admin_lists_users_and_codes(client):
    admin_user = User.objects.create_superuser("ops@chop.test", PASSWORD, name="Ops")
    client.force_login(admin_user)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_add")).status_code == 200
    assert (
        client.get(reverse("admin:accounts_user_change", args=[admin_user.pk])).status_code == 200
    )
    resp = client.post(
        reverse("admin:accounts_user_add"),
        {
            "login": "+86 137 0013 7000",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert User.objects.get(login="13700137000").phone == "13700137000"
    send_code(client, "13900139000", "register")
    resp = client.get(reverse("admin:accounts_onetimecode_changelist"))
    assert resp.status_code == 200 and "13900139000" in resp.content.decode()
