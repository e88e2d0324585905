"""The development outbox: every message the console senders "send", one JSON object a line.

The demo shows it and the tests read codes from it, so nobody needs a phone to try the product.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings


def path() -> Path:
    return Path(settings.CHOP_OUTBOX)


def open_private(p: Path):
    """Open ``p`` for appending, created 0600 (and tightened to 0600 if it is older and wider):
    the outbox holds live one-time codes, so no other local user may read it."""
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except OSError:
        pass
    return os.fdopen(fd, "a", encoding="utf-8")


def append(entry: dict[str, Any]) -> None:
    """Append one line. A single ``write`` in append mode keeps concurrent lines whole."""
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with open_private(path()) as fh:
        fh.write(line)


def messages(to: str | None = None) -> list[dict[str, Any]]:
    """All messages (oldest first), optionally only those sent to ``to``."""
    p = path()
    if not p.exists():
        return []
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            if to is None or entry.get("to") == _normalise(to):
                out.append(entry)
    return out


def last_message(to: str) -> dict[str, Any] | None:
    found = messages(to)
    return found[-1] if found else None


def last_code(to: str) -> str | None:
    """The most recent one-time code sent to ``to`` (any spelling of the number or address)."""
    for entry in reversed(messages(to)):
        if entry.get("code"):
            return entry["code"]
    return None


def _normalise(to: str) -> str:
    from .targets import parse_target

    try:
        return parse_target(to).value
    except Exception:  # not a phone or e-mail: compare as given
        return to
