"""Password rules speak the page's language (issue 9 §8: the reset page said "This password is
too short" in English in the Chinese UI)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse


def _post(client, url, **extra):
    data = {"login": "13800138000", "code": "123456", "password1": "Ab1", "password2": "Ab1"}
    return client.post(url, {**data, **extra}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accounts:reset", "accounts:register"])
def test_password_too_short_is_chinese_in_the_chinese_ui(client, user, name):
    html = _post(client, reverse(name), name="张三")
    assert "密码长度太短" in html and "8" in html
    assert "too short" not in html


@pytest.mark.django_db
def test_password_rules_in_chinese(client, user):
    assert "这个密码太常见了" in _post(
        client, reverse("accounts:reset"), password1="password123", password2="password123"
    )
    assert "密码只包含数字" in _post(
        client, reverse("accounts:reset"), password1="9384756120", password2="9384756120"
    )


@pytest.mark.django_db
def test_password_too_short_stays_english_in_english(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = _post(client, reverse("accounts:reset"))
    assert "This password is too short. It must contain at least 8 characters." in html
