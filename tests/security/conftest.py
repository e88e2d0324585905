"""Fixtures for the site-wide security tests: fast password hashing, people and companies."""

from __future__ import annotations

import pytest

from tests.orgs.conftest import login, make_company, make_user  # noqa: F401


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
