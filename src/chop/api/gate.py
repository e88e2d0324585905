"""The door of ``/api/v1/``: key, rate limit, idempotency, in that order, before any operation.

One middleware does it so that no operation can forget: every request under ``/api/v1/`` (except
the OpenAPI document) must carry a usable key (``Authorization: Bearer chop_…``); it then acts as
the key's company through the member who made the key (``request.user``, ``request.company``,
``request.membership``, ``request.api``), the session is ignored, and the key's requests are
counted per window (429 with ``Retry-After`` past the limit). POST and PATCH with an
``Idempotency-Key`` run at most once (``idempotency``).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from chop.audit.events import client_ip

from . import idempotency, keys
from .problems import problem

PREFIX = "/api/v1/"
OPEN = {"/api/v1/openapi.json"}


def rate() -> tuple[int, int]:
    """(requests, seconds) per key, from ``CHOP_API_RATE`` such as ``6000/60``."""
    count, _slash, seconds = str(settings.CHOP_API_RATE).partition("/")
    return int(count), int(seconds or 60)


class ApiGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIX) or request.path in OPEN:
            return self.get_response(request)
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _space, token = header.partition(" ")
        try:
            caller = keys.authenticate(token.strip() if scheme.lower() == "bearer" else None)
        except keys.KeyRefused as refused:
            return problem(
                401,
                refused.code,
                refused.message,
                request=request,
                headers={"WWW-Authenticate": 'Bearer realm="chop"'},
            )
        limit, window = rate()
        counted = keys.count_request(caller.key, client_ip(request), limit=limit, window=window)
        if not counted.allowed:
            return problem(
                429,
                "rate_limited",
                _("This key made more than %(limit)d requests in %(window)d seconds.")
                % {"limit": limit, "window": window},
                request=request,
                headers={"Retry-After": str(counted.retry_after)},
            )
        request.user = caller.user
        request.company = caller.company
        request.membership = caller.membership
        request.api = caller
        return idempotency.around(request, caller.company.pk, lambda: self._operate(request))

    def _operate(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and not response.get("Content-Type", "").startswith(
            "application/"
        ):
            # no operation matched: Django's HTML 404 page is no answer for a program
            return problem(
                404,
                "no_such_operation",
                _("There is no such operation; see /api/v1/openapi.json or /api/docs."),
                request=request,
            )
        return response
