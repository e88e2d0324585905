"""The platform admin speaks the site's language and names Chop (issue 9 §8: Django admin
headings were in English)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from chop.accounts.models import User


@pytest.fixture
def admin_client(client, db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = User.objects.create_user("root@example.com", "s3cret-pass-9", name="管理员")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def _headings(html: str) -> str:
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    header = re.search(r'<div id="site-name">(.*?)</div>', html, re.S).group(1)
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    return re.sub(r"<[^>]+>|\s+", " ", f"{title} | {header} | {h1}")


def test_admin_headings_are_chinese(admin_client):
    html = admin_client.get("/admin/").content.decode()
    headings = _headings(html)
    assert "Chop 平台管理" in headings and "平台管理首页" in headings, headings
    assert (
        "Django" not in headings
        and re.search(r"[A-Za-z]{4,}", headings.replace("Chop", "")) is None
    )
    assert "账户" in html or "用户" in html  # the app list is Chinese too


def test_admin_headings_are_english_on_request(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    headings = _headings(admin_client.get("/admin/").content.decode())
    assert "Chop platform administration" in headings and "Django" not in headings
