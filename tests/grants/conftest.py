"""Fixtures for the authorisation tests: the signing world of the contracts tests (verified
companies with their seals and certificates, a person with a person certificate), with on-commit
work run at the end of each test-client request as production would."""

from tests.contracts.conftest import _commit_work_per_request  # noqa: F401
from tests.contracts.signing_support import signing_world  # noqa: F401
from tests.seals.conftest import verified_company  # noqa: F401
