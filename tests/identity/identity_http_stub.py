"""A real HTTP server on 127.0.0.1 (stdlib, a free port, its own thread) for the provider tests.

Each test scripts the replies: ``stub.replies`` is a list of functions taking the decoded request
(body, headers) and returning a :class:`Reply`; the last one repeats. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.raw)


Responder = Callable[[Seen], Reply]


class StubServer:
    def __init__(self) -> None:
        self.replies: list[Responder] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = Seen(self.path, {k: v for k, v in self.headers.items()}, raw)
                with stub._lock:
                    index = len(stub.seen)
                    stub.seen.append(request)
                    responder = stub.replies[min(index, len(stub.replies) - 1)]
                reply = responder(request)
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body
                if not isinstance(body, bytes):
                    body = json.dumps(body, ensure_ascii=False).encode()
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/verify"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def reply_with(self, *responders: Responder) -> None:
        self.replies = list(responders)


def echo(**fields: Any) -> Responder:
    """A 200 reply echoing the request_id, with ``fields`` added."""

    def respond(request: Seen) -> Reply:
        return Reply(200, {"request_id": request.json["request_id"], **fields})

    return respond
