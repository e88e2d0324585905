"""Failures counted from many threads at once are all counted, without errors, on SQLite and
PostgreSQL (real threads, real transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from chop.accounts import lockout, ratelimit
from chop.accounts.models import LoginFailures, RateCounter

N = 20

# SQLite's in-memory test database uses a shared cache, whose table locks are not waited for
# (the busy timeout does not apply); a file database, as the app uses, is what this checks.
pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite"
    and connection.creation._get_test_db_name() == ":memory:"
    or "mode=memory" in str(connection.creation._get_test_db_name()),
    reason="in-memory shared-cache SQLite test database: table locks are not waited for",
)


def _in_threads(fn) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(N)

    def run() -> None:
        try:
            barrier.wait()
            fn()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted():
    errors = _in_threads(lambda: lockout.failed("13800138000", "10.0.0.1"))
    assert errors == []
    row = LoginFailures.objects.get(account="13800138000", ip="10.0.0.1")
    assert row.failures == N and row.locked_until is not None
    ip = RateCounter.objects.get(key="login-fail:ip:10.0.0.1")
    assert ip.count == N


@pytest.mark.django_db(transaction=True)
def test_concurrent_rate_limit_hits_are_all_counted():
    errors = _in_threads(lambda: ratelimit.hit("burst:test", limit=5, window=3600))
    assert errors == []
    assert RateCounter.objects.get(key="burst:test").count == N
