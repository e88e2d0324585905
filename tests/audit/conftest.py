"""The company fixtures of tests/orgs, shared with the audit tests."""

from tests.orgs.conftest import _fast_passwords, login, make_company, make_user, team  # noqa: F401
