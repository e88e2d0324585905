"""Fixtures for the account tests: a phone user and an e-mail user with a known password."""

from __future__ import annotations

import pytest

from chop.accounts.models import User

PASSWORD = "Seal-stamp-2026"


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user("13800138000", PASSWORD, name="张三")


@pytest.fixture
def email_user(db) -> User:
    return User.objects.create_user("li@example.com", PASSWORD, name="Li Si")
