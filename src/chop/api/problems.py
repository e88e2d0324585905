"""Errors as ``application/problem+json`` (RFC 9457), in the caller's language.

Every refusal the API gives goes through :func:`problem`: ``type`` names the problem
(``urn:chop:problem:<code>``, also in ``code`` for clients that switch on it), ``title`` and
``detail`` are in Chinese or English by ``Accept-Language`` (LocaleMiddleware has activated it),
and validation failures list their fields in ``errors``.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

CONTENT_TYPE = "application/problem+json"


def title_for(status: int) -> str:
    from django.utils.translation import gettext as _

    titles = {
        400: _("Bad request"),
        401: _("Not authenticated"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        410: _("Gone"),
        413: _("Too large"),
        415: _("Unsupported media type"),
        422: _("Unprocessable request"),
        429: _("Too many requests"),
        500: _("Server error"),
        503: _("Unavailable"),
    }
    return str(titles.get(status, _("Error")))


def body(status: int, code: str, detail: Any, *, instance: str = "", **extra: Any) -> dict:
    doc: dict[str, Any] = {
        "type": f"urn:chop:problem:{code}",
        "title": title_for(status),
        "status": status,
        "detail": str(detail),
        "code": code,
    }
    if instance:
        doc["instance"] = instance
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


def problem(
    status: int,
    code: str,
    detail: Any,
    *,
    request=None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """The response for one problem; ``extra`` adds members (e.g. ``errors``)."""
    doc = body(status, code, detail, instance=request.path if request is not None else "", **extra)
    response = HttpResponse(
        json.dumps(doc, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    response.headers["Content-Language"] = _language()
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _language() -> str:
    from django.utils import translation

    return translation.get_language() or "zh-hans"


class ApiProblem(Exception):
    """Raise inside an operation to answer with a problem; the API's handler renders it."""

    def __init__(self, status: int, code: str, detail: Any, *, headers=None, **extra: Any) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def response(self, request) -> HttpResponse:
        return problem(
            self.status,
            self.code,
            self.detail,
            request=request,
            headers=self.headers,
            **self.extra,
        )


def not_found(what: str = "") -> ApiProblem:
    from django.utils.translation import gettext as _

    return ApiProblem(404, "not_found", what or _("There is no such object in your company."))


def forbidden(detail) -> ApiProblem:
    return ApiProblem(403, "forbidden", detail)
