"""The fast password hasher of tests/orgs, shared with the platform command tests."""

from tests.orgs.conftest import _fast_passwords  # noqa: F401
