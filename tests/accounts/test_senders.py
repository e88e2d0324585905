"""Senders: console → outbox, SMTP through Django's mail backend, the HTTP SMS gateway adapter
against a real local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from chop.accounts import outbox, senders


def test_console_sender_appends_json_line(settings, capsys):
    channel = senders.send_code("+86 13800138000", "123456", "register")
    assert channel == "sms"
    lines = settings.CHOP_OUTBOX.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert set(entry) == {"time", "channel", "to", "subject", "body", "code"}
    assert entry["to"] == "13800138000" and entry["code"] == "123456" and entry["channel"] == "sms"
    assert "123456" in entry["body"]
    assert "13800138000" in capsys.readouterr().err
    assert outbox.last_code("+86 138 0013 8000") == "123456"


def test_email_targets_use_the_email_channel():
    assert senders.send_code("Li@Example.com", "654321", "login") == "email"
    msg = outbox.last_message("li@example.com")
    assert msg["channel"] == "email" and msg["code"] == "654321"
    assert outbox.last_code("13800138000") is None


def test_send_message_for_other_notifications():
    assert senders.send_message("13800138000", "Invitation", "Join ACME") == "sms"
    msg = outbox.last_message("13800138000")
    assert msg["body"] == "Join ACME" and msg["code"] is None


def test_smtp_sender_uses_django_mail(settings):
    settings.CHOP_EMAIL_SENDER = "smtp"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert senders.send_code("li@example.com", "111222", "reset") == "email"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["li@example.com"] and "111222" in mail.outbox[0].body
    assert outbox.messages() == []  # nothing went to the development outbox


def test_smtp_failure_is_a_send_error(settings):
    settings.CHOP_EMAIL_SENDER = "smtp"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    with pytest.raises(senders.SendError):
        senders.send_code("li@example.com", "111222", "reset")


class _Gateway:
    """A stdlib HTTP server in a thread that records requests and answers as told."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status, self.delay, self.requests = status, delay, []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append((self.path, dict(self.headers), json.loads(body)))
                time.sleep(gateway.delay)
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": %s}' % (b"true" if gateway.status < 300 else b"false"))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(request, settings):
    g = _Gateway(**getattr(request, "param", {}))
    settings.CHOP_SMS_SENDER = "http"
    settings.CHOP_SMS_HTTP_URL = g.url
    settings.CHOP_SMS_HTTP_TOKEN = "s3cret-token"
    settings.CHOP_SMS_HTTP_SIGN_NAME = "Chop"
    settings.CHOP_SMS_HTTP_TIMEOUT = 0.5
    yield g
    g.close()


def test_http_gateway_success(gateway):
    assert senders.send_code("+8613800138000", "246810", "login") == "sms"
    [(path, headers, payload)] = gateway.requests
    assert path == "/sms/send"
    assert headers["Authorization"] == "Bearer s3cret-token"
    assert headers["Content-Type"] == "application/json"
    assert payload["to"] == "13800138000" and payload["code"] == "246810"
    assert payload["sign_name"] == "Chop" and "246810" in payload["text"]
    assert outbox.messages() == []


@pytest.mark.parametrize("gateway", [{"status": 500}, {"status": 403}], indirect=True)
def test_http_gateway_error_status(gateway):
    with pytest.raises(senders.SendError, match=str(gateway.status)):
        senders.send_code("13800138000", "246810", "login")
    assert len(gateway.requests) == 1


@pytest.mark.parametrize("gateway", [{"delay": 2.0}], indirect=True)
def test_http_gateway_timeout(gateway):
    started = time.monotonic()
    with pytest.raises(senders.SendError, match="did not answer"):
        senders.send_code("13800138000", "246810", "login")
    assert time.monotonic() - started < 1.8


def test_http_gateway_without_url(settings):
    settings.CHOP_SMS_SENDER = "http"
    settings.CHOP_SMS_HTTP_URL = ""
    with pytest.raises(senders.SendError):
        senders.send_code("13800138000", "246810", "login")
