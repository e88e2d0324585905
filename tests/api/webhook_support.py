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

    def __init__(self, tls=None) -> None:
        """``tls``: an ``ssl.SSLContext`` to serve https with (plain http without)."""
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
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

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


def tls_files(tmp_path, names: list[str]):
    """A throw-away CA and a server certificate for ``names`` signed by it: returns (CA file,
    server ``ssl.SSLContext``)."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def cert(subject, issuer, public, signer, ca: bool, sans=()):
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if sans:
            b = b.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False
            )
        return b.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("Test Webhook CA", "Test Webhook CA", ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = cert(names[0], "Test Webhook CA", key.public_key(), ca_key, False, names)
    pem = serialization.Encoding.PEM
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(pem))
    chain = tmp_path / "server.pem"
    chain.write_bytes(
        leaf.public_bytes(pem)
        + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return ca_file, context
