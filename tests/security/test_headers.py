"""Site-wide headers, the upload size limit and MEDIA never served (issue 8, item 1)."""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadhandler import StopUpload
from django.test import Client
from django.urls import clear_url_caches

import chop
from chop import security

SRC = Path(chop.__file__).resolve().parent
pytestmark = pytest.mark.django_db


def test_every_page_has_a_strict_csp_and_permissions_policy(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get("/no-such-page/")["Content-Security-Policy"] == csp


TEMPLATE_DIRS = [SRC / "templates", *SRC.glob("*/templates")]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_have_no_inline_script_or_style():
    """What the CSP forbids must not be in the templates: it would silently stop working."""
    found = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text()
            found += [f"{path.relative_to(SRC)}: {what}" for rx, what in INLINE if rx.search(text)]
    assert not found, found


def test_oversized_body_is_refused_with_413_before_parsing(client, settings, monkeypatch):
    """A 200 MB anonymous upload used to be parsed whole; now its Content-Length decides."""
    from django.http import multipartparser

    settings.CHOP_MAX_UPLOAD_BYTES = 1024 * 1024
    parsed = []
    monkeypatch.setattr(
        multipartparser.MultiPartParser, "parse", lambda self: parsed.append(1) or ({}, {})
    )

    def big():
        f = io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024))
        f.name = "licence.png"
        return f

    response = client.post("/verify/company/", {"licence": big(), "company_name": "x"})
    assert response.status_code == 413
    assert parsed == []
    body = response.content.decode()
    assert "上传的文件太大" in body and "1 MB" in body
    response = client.post("/verify/company/", {"licence": big()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413 and "The upload is too large" in response.content.decode()


def test_uploads_under_the_limit_still_parse(client, settings):
    settings.CHOP_MAX_UPLOAD_BYTES = 1024 * 1024
    response = Client(enforce_csrf_checks=False).post(
        "/accounts/login/", {"login": "nobody@example.com", "password": "x" * 10}
    )
    assert response.status_code == 200


def test_upload_handler_stops_a_body_that_grows_past_the_limit(settings, rf):
    """For a body whose Content-Length is absent or wrong, the handler counts what arrives."""
    settings.CHOP_MAX_UPLOAD_BYTES = 1000
    request = rf.post("/")
    handler = security.LimitedUploadHandler(request)
    assert handler.handle_raw_input(None, {}, 0, b"b") is None
    assert handler.receive_data_chunk(b"x" * 600, 0) == b"x" * 600
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 600, 600)
    assert request._chop_upload_too_large


@pytest.fixture
def debug_urls(settings):
    """The root URLconf as it is built with DEBUG=true."""
    import chop.urls

    settings.DEBUG = True
    importlib.reload(chop.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(chop.urls)
    clear_url_caches()


def test_media_is_never_served_even_with_debug(debug_urls, client, settings):
    """ID photos under MEDIA_ROOT were public with DEBUG=true."""
    photo = Path(settings.MEDIA_ROOT) / "verification/id/2026/12/front.png"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    assert client.get("/media/verification/id/2026/12/front.png").status_code == 404


def _settings_for(site_url: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k) for k in ('SECURE_HSTS_SECONDS', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'LANGUAGE_COOKIE_SECURE')}))"
    )
    env = {**os.environ, "SITE_URL": site_url, "DJANGO_SETTINGS_MODULE": "chop.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_https_site_gets_hsts_and_secure_cookies():
    secure = _settings_for("https://chop.example.com")
    assert secure["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert secure["SESSION_COOKIE_SECURE"] and secure["CSRF_COOKIE_SECURE"]
    assert secure["LANGUAGE_COOKIE_SECURE"]
    plain = _settings_for("http://127.0.0.1:8000")
    assert plain["SECURE_HSTS_SECONDS"] == 0 and not plain["SESSION_COOKIE_SECURE"]


def test_hsts_header_on_secure_requests(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_debug_error_pages_stay_usable(debug_urls, client):
    """Django's technical 404 page uses inline style and script: no page CSP with DEBUG on."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Content-Security-Policy" not in response
