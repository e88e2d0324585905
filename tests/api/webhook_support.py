"""A real local webhook receiver (``http.server`` in a thread on 127.0.0.1) that records what it
gets and answers as a test tells it, and a webhook endpoint pointing at it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict = field(default_factory=dict)
    sleep: float = 0.0


class Receiver:
    """``answers`` is consumed one per request (the last one repeats); ``received`` lists every
    request in order."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[Answer] = [Answer()]
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    answer = (
                        receiver.answers.pop(0)
                        if len(receiver.answers) > 1
                        else receiver.answers[0]
                    )
                if answer.sleep:
                    time.sleep(answer.sleep)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting

            do_GET = do_POST  # a followed redirect would arrive as a GET

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *answers: Answer) -> None:
        self.answers = list(answers)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def running_receiver(settings):
    """The body of a test module's ``receiver`` fixture (``yield from running_receiver(settings)``):
    private targets allowed, a receiver started, and stopped afterwards."""
    settings.CHOP_WEBHOOK_ALLOW_PRIVATE = True
    r = Receiver()
    yield r
    r.close()


def make_endpoint(company, user, url: str, events=None):
    from chop.api.models import WebhookEndpoint
    from chop.api.webhooks import secrets

    return WebhookEndpoint.objects.create(
        company=company,
        url=url,
        events=list(events or []),
        secret=secrets.new_secret(),
        created_by=user,
    )


def headers_of(received: Received) -> dict:
    """The three Standard Webhooks headers as the ``standardwebhooks`` package wants them."""
    return {
        k: received.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
