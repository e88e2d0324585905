"""Log lines: one JSON object per line (``CHOP_LOG_FORMAT=json``, the default under ``chop serve``)
or plain text, each carrying the id of the request it was written in.

Plain logging, no Django: gunicorn's master loads the formatter through its ``logconfig_dict``
before any Django settings exist. The request id lives in a context variable that
``chop.observe.RequestLogMiddleware`` sets for the request's duration, and ``RequestIdFilter``
copies it onto every record, so a traceback logged deep in a view carries the same id as the
request's access line and as the ``X-Request-ID`` response header.

What goes in a line is what the code passes: the access lines (``chop.request``) carry method,
route, path with secrets masked, status and duration, never a user, an address or a query string.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "chop_request_id", default=None
)

# The attributes every LogRecord has; anything else on a record came from ``extra=`` and is
# written as a field of its own.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}
_PLAIN = (str, int, float, bool, type(None))


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (the current request's id, or None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


_MAX_PATH = 200


def masked_path(request) -> str:
    """``request.path`` with every captured URL part that is not a plain number written as
    ``<name>`` (tokens of signature and invitation links, verification codes); an unmatched path
    is cut to 200 characters. Never the query string."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is None:
        return path[:_MAX_PATH]
    secret: dict[str, str] = {}
    captured = [(str(i), v) for i, v in enumerate(match.args)] + list(match.kwargs.items())
    for name, value in captured:
        text = str(value)
        if text and not text.isdigit():
            secret[text] = f"<{name}>"
    if not secret:
        return path[:_MAX_PATH]
    return "/".join(secret.get(part, part) for part in path.split("/"))[:_MAX_PATH]


class MaskRequestPathFilter(logging.Filter):
    """Django's ``django.request`` lines ("Not Found: /invite/<the token>/") name the raw path:
    write it as :func:`masked_path` instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path and isinstance(record.args, tuple) and path in record.args:
            masked = masked_path(request)
            record.args = tuple(masked if arg == path else arg for arg in record.args)
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id"?, ...extra, "exc"?}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            doc["request_id"] = rid
        for key, value in record.__dict__.items():
            # plain values only: Django passes the request object (its repr has the query
            # string) and the server's socket in ``extra``; those stay out of the line
            if key not in _STANDARD and not key.startswith("_") and isinstance(value, _PLAIN):
                doc[key] = value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            doc["exc"] = record.exc_text
        if record.stack_info:
            doc["stack"] = self.formatStack(record.stack_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain format, with the request id in brackets when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(rid)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None) or request_id.get()
        record.rid = f" [{rid}]" if rid else ""
        return super().format(record)


def config(fmt: str, level: str = "INFO") -> dict:
    """A ``logging.config.dictConfig`` for ``fmt`` (``json`` or ``text``): one stderr handler."""
    formatter = "json" if fmt == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "chop.logs.RequestIdFilter"},
            "mask_path": {"()": "chop.logs.MaskRequestPathFilter"},
        },
        "formatters": {
            "json": {"()": "chop.logs.JsonFormatter"},
            "text": {"()": "chop.logs.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request_id", "mask_path"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.server": {"level": "WARNING"},
            # gunicorn's own lines (start, workers, timeouts) in the same shape as the app's
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
