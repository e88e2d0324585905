"""Run a coroutine to completion from synchronous code, even inside a running event loop.

Shared by the engines (pki, pdfsign) and the apps: pyHanko's signers, timestamper and validators
are async, and callers may be plain code, an ASGI view, or a test with a browser loop running.
No Django imports.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()


def _runner() -> asyncio.Runner:
    """This thread's runner: one event loop made once and reused, because making and closing a
    loop per call (``asyncio.run``) costs about a millisecond, more than a signature. A forked
    child makes its own (the parent's loop is not its to use), and the loop is closed when its
    thread is gone."""
    held = getattr(_local, "held", None)
    if held is None or held[0] != os.getpid():
        runner = asyncio.Runner()
        weakref.finalize(threading.current_thread(), runner.close)
        held = _local.held = (os.getpid(), runner)
    return held[1]


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` that also works when called from async code (e.g. an ASGI view).

    ``asyncio.run`` refuses to nest; in that case the coroutine gets its own loop on a worker
    thread, which keeps the sync API usable from everywhere at the cost of one thread hop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _runner().run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
