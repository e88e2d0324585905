"""Run a coroutine to completion from synchronous code, even inside a running event loop.

Shared by the engines (pki, pdfsign) and the apps: pyHanko's signers, timestamper and validators
are async, and callers may be plain code, an ASGI view, or a test with a browser loop running.
No Django imports.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` that also works when called from async code (e.g. an ASGI view).

    ``asyncio.run`` refuses to nest; in that case the coroutine gets its own loop on a worker
    thread, which keeps the sync API usable from everywhere at the cost of one thread hop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
