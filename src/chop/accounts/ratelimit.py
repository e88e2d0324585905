"""Fixed-window rate limits counted in the database.

The default cache is per-process LocMem, so a cache-based counter would let each worker count on
its own; a row per (key, window) with an atomic increment is correct across processes and cheap
at the volumes a login page sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import RateCounter


@dataclass(frozen=True)
class Window:
    allowed: bool
    count: int
    limit: int
    reset_at: datetime

    @property
    def retry_after(self) -> int:
        """Whole seconds until the window resets (at least 1 when blocked)."""
        return max(1, int((self.reset_at - clock()).total_seconds() + 0.999))


def clock() -> datetime:
    """The time windows are counted by: one seam, so tests can hold it still and a burst of
    requests never straddles a window boundary by chance."""
    return timezone.now()


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def _increment(key: str, start: datetime) -> int | None:
    """Add one to the (key, window) row and return its new count; None when there is no row.
    ``UPDATE … RETURNING`` (PostgreSQL, SQLite ≥ 3.35): atomic on its own."""
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(RateCounter._meta.db_table)} SET {qn('count')} = {qn('count')} + 1 "
        f"WHERE {qn('key')} = %s AND {qn('window_start')} = %s RETURNING {qn('count')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(start)])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def hit(key: str, *, limit: int, window: int, now: datetime | None = None) -> Window:
    """Count one event for ``key`` and say whether it is within ``limit`` per ``window`` seconds.

    Blocked events are counted too, so hammering does not reopen the window.
    """
    now = now or clock()
    start = window_start(now, window)
    # Write first, in one statement that also answers the new count (no read after it): on
    # SQLite a transaction that reads before it writes cannot wait for a concurrent writer (it
    # fails "database is locked"); the UPDATE waits its turn. On PostgreSQL it locks the row.
    count = _increment(key, start)
    if count is None:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=start, count=1)
            except IntegrityError:  # another process created it first
                count = _increment(key, start)
            else:
                count = 1
                # Old windows of this key are dead weight: the hit that opens a new window drops
                # them (once per window, not on every hit: the API counts every request).
                RateCounter.objects.filter(key=key, window_start__lt=start).delete()
        assert count is not None
    return Window(count <= limit, count, limit, start + timedelta(seconds=window))


def peek(key: str, *, limit: int, window: int, now: datetime | None = None) -> Window:
    """The current state without counting anything."""
    now = now or clock()
    start = window_start(now, window)
    count = (
        RateCounter.objects.filter(key=key, window_start=start)
        .values_list("count", flat=True)
        .first()
        or 0
    )
    return Window(count < limit, count, limit, start + timedelta(seconds=window))


def clear(key: str) -> None:
    """Forget every window of ``key`` (e.g. a lock lifted by a password reset)."""
    RateCounter.objects.filter(key=key).delete()
