"""Fixed-window rate limits counted in the database.

The default cache is per-process LocMem, so a cache-based counter would let each worker count on
its own; a row per (key, window) with an atomic increment is correct across processes and cheap
at the volumes a login page sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
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
        return max(1, int((self.reset_at - timezone.now()).total_seconds() + 0.999))


def _window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def hit(key: str, *, limit: int, window: int, now: datetime | None = None) -> Window:
    """Count one event for ``key`` and say whether it is within ``limit`` per ``window`` seconds.

    Blocked events are counted too, so hammering does not reopen the window.
    """
    now = now or timezone.now()
    start = _window_start(now, window)
    counter = RateCounter.objects.filter(key=key, window_start=start)
    with transaction.atomic():
        # Write first: on SQLite a transaction that reads before it writes cannot wait for a
        # concurrent writer (it fails "database is locked"); one that starts with the UPDATE
        # waits its turn. On PostgreSQL the UPDATE locks the row.
        if not counter.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=start, count=1)
            except IntegrityError:  # another process created it first
                counter.update(count=F("count") + 1)
            else:
                # Old windows of this key are dead weight: the hit that opens a new window drops
                # them (once per window, not on every hit: the API counts every request).
                RateCounter.objects.filter(key=key, window_start__lt=start).delete()
        count = counter.values_list("count", flat=True).get()
    return Window(count <= limit, count, limit, start + timedelta(seconds=window))


def peek(key: str, *, limit: int, window: int, now: datetime | None = None) -> Window:
    """The current state without counting anything."""
    now = now or timezone.now()
    start = _window_start(now, window)
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
