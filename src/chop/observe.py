"""The outermost middleware: a request id, one access log line and the request metrics.

- **Request id.** An incoming ``X-Request-ID`` is kept when it is sane (8 to 128 characters of
  letters, digits and ``-_.:``, as a proxy or load balancer sends); anything else is replaced by
  a fresh random id. It is echoed in the response's ``X-Request-ID``, set on ``request.request_id``
  and on every log line written while the request runs (``chop.logs``).
- **Access line** (logger ``chop.request``): method, route name, path, status, duration in ms.
  No personal data: no user, no e-mail or phone, no query string (where searches and tokens
  go), and no client address (the reverse proxy's log has it, keyed by the same request id; the
  audit log records addresses where they matter). URL parts that are not plain numbers (the
  secret tokens of signature and invitation links, verification codes) are written as the
  pattern's ``<name>`` (``chop.logs.masked_path``; Django's own "Not Found: …" lines too), so a
  log reader cannot open someone's signing page.
- **Metrics** (``chop.metrics``): requests by route, method and status; durations by route.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings

from chop import logs, metrics

log = logging.getLogger("chop.request")

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def incoming_id(request) -> str:
    """The client's ``X-Request-ID`` when sane, else a new random one."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    if given and _SANE_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def route_of(request) -> str:
    """The matched URL pattern's name (bounded), ``static`` or ``unmatched``."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or "unnamed"
    probe = getattr(request, "chop_probe", None)
    if probe:
        return probe
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = incoming_id(request)
        request.request_id = rid
        token = logs.request_id.set(rid)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - start
            response[HEADER] = rid
            route = route_of(request)
            status = response.status_code
            # any token is a method to HTTP: the label keeps to the known ones
            method = request.method if request.method in _METHODS else "other"
            path = logs.masked_path(request)
            metrics.REQUESTS.labels(route, method, str(status)).inc()
            metrics.REQUEST_SECONDS.labels(route, method).observe(elapsed)
            log.info(
                "%s %s %s",
                method,
                path,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "path": path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            return response
        finally:
            logs.request_id.reset(token)
