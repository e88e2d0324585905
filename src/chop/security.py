"""Site-wide response headers and the request-size limit (PRODUCT.md §7).

Two middlewares and one upload handler, installed in settings:

- ``SecurityHeadersMiddleware`` (outermost): a Content-Security-Policy on every page that allows
  only the site's own scripts, styles and images, so an injected ``<script>`` or ``onclick`` never
  runs; plus ``Permissions-Policy``. Responses that set their own CSP (served uploads, which are
  sandboxed) keep it. With DEBUG on, Django's technical error pages (inline script and style) are
  left without a CSP so they stay usable.
- ``UploadLimitMiddleware`` (before sessions, CSRF and every view): a request body larger than
  ``CHOP_MAX_UPLOAD_BYTES`` is answered 413 from its Content-Length alone, before anything reads
  or parses it; a multipart body is parsed here, through ``LimitedUploadHandler``, which stops
  as soon as more bytes arrive than allowed (a body without an honest Content-Length).
- 413 answers with a translated page in the site's look (problem+json under ``/api/``).

Django 5.2 has no CSP support of its own; 6.0's can replace ``SecurityHeadersMiddleware`` later.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import translation
from django.utils.datastructures import MultiValueDict

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        debug_page = settings.DEBUG and response.status_code >= 400
        if "Content-Security-Policy" not in response and not debug_page:
            response["Content-Security-Policy"] = CSP
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def max_upload_bytes() -> int:
    return int(settings.CHOP_MAX_UPLOAD_BYTES)


def too_large(request):
    """The 413 page, in the visitor's language (this runs before LocaleMiddleware); under
    ``/api/`` the same refusal as ``application/problem+json`` (code ``too_large``), the shape
    every API error has, written here because this module sits below the API app."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        if request.path.startswith(API_PREFIX):
            response = _too_large_problem(request)
        else:
            response = render(
                request,
                "413.html",
                {"limit_mb": max_upload_bytes() // (1024 * 1024)},
                status=413,
            )
        response["Content-Language"] = language
    response["Connection"] = "close"
    return response


API_PREFIX = "/api/"


def _too_large_problem(request) -> HttpResponse:
    from django.utils.translation import gettext as _

    doc = {
        "type": "urn:chop:problem:too_large",
        "title": _("Too large"),
        "status": 413,
        "detail": _("The request is larger than %(limit)s MB, the upload limit.")
        % {"limit": f"{max_upload_bytes() / (1024 * 1024):.1f}".removesuffix(".0")},
        "code": "too_large",
        "instance": request.path,
    }
    return HttpResponse(
        json.dumps(doc, ensure_ascii=False), status=413, content_type="application/problem+json"
    )


class UploadLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_upload_bytes():
            return too_large(request)
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                request.POST  # noqa: B018 - parse now, through LimitedUploadHandler
            except RequestDataTooBig:
                return too_large(request)
            if getattr(request, "_chop_upload_too_large", False):
                return too_large(request)
        return self.get_response(request)


class LimitedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts the bytes of every file part and stops the parse
    (dropping what was read) once the total passes the limit."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0
        if content_length > max_upload_bytes():
            # Answer "handled, nothing in it" so the parser never starts; the middleware says 413.
            self._flag()
            return QueryDict(), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received = getattr(self, "received", 0) + len(raw_data)
        if self.received > max_upload_bytes():
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None

    def _flag(self):
        if self.request is not None:
            self.request._chop_upload_too_large = True

    def _refuse(self):
        self._flag()
        raise StopUpload(connection_reset=True)
