"""Fixtures for the identity tests: a scripted local HTTP server (see identity_http_stub)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from identity_http_stub import StubServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
