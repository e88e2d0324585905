"""Cursor pagination: stable under inserts, no OFFSET scans.

Lists are ordered newest first by ``(created_at, id)`` (or another unique-ending ordering the
caller passes); the cursor is the last row's values, base64url JSON, opaque to clients.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from django.db.models import Q, QuerySet

from .problems import ApiProblem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_ID = 2**63 - 1


def _encode(values: list[Any]) -> str:
    raw = json.dumps(
        [v.isoformat() if isinstance(v, dt.datetime) else v for v in values], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, n: int) -> list[Any]:
    from django.utils.translation import gettext as _

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != n:
            raise ValueError
        return values
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ApiProblem(
            400, "bad_cursor", _("This cursor is not one the API gave out; start without it.")
        ) from exc


def page(
    qs: QuerySet,
    cursor: str | None,
    limit: int | None,
    *,
    fields: tuple[str, str] = ("created_at", "id"),
) -> tuple[list, str | None]:
    """One page of ``qs`` newest first by ``fields`` (descending, the last one unique) and the
    cursor of the next page (``None`` on the last page)."""
    from django.utils.translation import gettext as _

    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiProblem(
            400, "bad_limit", _("limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT}
        )
    first, last = fields
    qs = qs.order_by(f"-{first}", f"-{last}")
    if cursor:
        a, b = _decode(cursor, 2)
        if last == "id" and (type(b) is not int or not 0 <= b <= MAX_ID):
            # a cursor made up by hand: never let it reach the query (a 500 there)
            raise ApiProblem(400, "bad_cursor", _("This cursor is not valid."))
        model_field = qs.model._meta.get_field(first)
        if model_field.get_internal_type() == "DateTimeField":
            try:
                a = dt.datetime.fromisoformat(a)
            except (TypeError, ValueError) as exc:
                raise ApiProblem(400, "bad_cursor", _("This cursor is not valid.")) from exc
        qs = qs.filter(Q(**{f"{first}__lt": a}) | Q(**{first: a, f"{last}__lt": b}))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        _encode([getattr(rows[-1], first), getattr(rows[-1], last)]) if more and rows else None
    )
    return rows, next_cursor
