"""CRL, OCSP, CA certificates and the TSA over HTTP.

:func:`handle` is the whole protocol as a pure function of (method, path, body), so the Django
app can mount the same endpoints in a view and ``python -m chop.pki serve`` can run them on a
plain ``http.server``. The URL paths match what the CA writes into certificates
(``SITE_URL/pki/...``).
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import unquote

from cryptography.hazmat.primitives import serialization

if TYPE_CHECKING:
    from .ca import PlatformCA

__all__ = ["MAX_BODY", "Reply", "handle", "make_server", "serve_in_thread"]

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # OCSP and TSA requests are a few hundred bytes


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    max_age: int = 0


def _text(status: int, message: str) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", message.encode() + b"\n")


def handle(ca: PlatformCA, method: str, path: str, body: bytes = b"") -> Reply:
    """Answer one request for ``/pki/...``; never raises for bad client input."""
    path = path.split("?", 1)[0]
    der = serialization.Encoding.DER
    if method == "GET":
        certs = {
            "/pki/root.cer": ca.root_certificate,
            "/pki/issuing.cer": ca.issuing_certificate,
            "/pki/tsa.cer": ca.tsa_certificate,
        }
        if path in certs:
            return Reply(200, "application/pkix-cert", certs[path].public_bytes(der), 86400)
        if path == "/pki/issuing.crl":
            return Reply(200, "application/pkix-crl", ca.crl("issuing"), 3600)
        if path == "/pki/root.crl":
            return Reply(200, "application/pkix-crl", ca.crl("root"), 3600)
        if path.startswith("/pki/ocsp/"):
            # RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER request}
            try:
                request = base64.b64decode(unquote(path[len("/pki/ocsp/") :]), validate=True)
            except (binascii.Error, ValueError):
                return _text(400, "bad base64 in OCSP GET request")
            return Reply(200, "application/ocsp-response", ca.ocsp_respond(request))
        if path == "/pki/healthz":
            return _text(200, "ok")
        return _text(404, "not found")
    if method == "POST":
        if path == "/pki/ocsp":
            return Reply(200, "application/ocsp-response", ca.ocsp_respond(body))
        if path == "/pki/tsa":
            return Reply(200, "application/timestamp-reply", ca.tsa().respond_der(body))
        return _text(404, "not found")
    return _text(405, "method not allowed")


def make_server(ca: PlatformCA, host: str = "127.0.0.1", port: int = 8001) -> ThreadingHTTPServer:
    """A threaded HTTP server for :func:`handle` (``port=0`` picks a free port)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "ChopPKI/1"

        def _reply(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            if reply.max_age:
                self.send_header("Cache-Control", f"max-age={reply.max_age}")
            self.end_headers()
            self.wfile.write(reply.body)

        def do_GET(self) -> None:
            self._reply(handle(ca, "GET", self.path))

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._reply(_text(411, "Content-Length required"))
                return
            if length < 0 or length > MAX_BODY:
                self._reply(_text(413, "request too large"))
                return
            self._reply(handle(ca, "POST", self.path, self.rfile.read(length)))

        def log_message(self, format: str, *args: object) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(ca: PlatformCA, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Start :func:`make_server` on a daemon thread (tests, embedding); call ``shutdown()``."""
    server = make_server(ca, host, port)
    threading.Thread(target=server.serve_forever, name="chop-pki-http", daemon=True).start()
    return server
