"""Fixtures for the account tests: fast password hashing and a few helpers."""

from __future__ import annotations

import pytest

from chop.accounts.models import User

PASSWORD = "Seal-stamp-2026"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """Argon2 is deliberately slow; tests use MD5 except the one that checks the configuration."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user("13800138000", PASSWORD, name="张三")


@pytest.fixture
def email_user(db) -> User:
    return User.objects.create_user("li@example.com", PASSWORD, name="Li Si")
