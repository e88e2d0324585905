"""Run one action from many threads at once, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def at_once(n: int, action: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """Call ``action(i)`` for i in range(n) from n threads released together by a barrier.

    Returns what each call returned, or the exception it raised (an unhandled error in a view
    comes back here too: the test client re-raises it). Every thread closes its own connections,
    as a request thread does, so the test database can be flushed afterwards.
    """
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action(i)
        except BaseException as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


def errors(results: list[Any]) -> list[BaseException]:
    return [r for r in results if isinstance(r, BaseException)]
