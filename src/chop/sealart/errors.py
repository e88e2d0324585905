"""Errors raised by the seal engine.

Every problem a user can cause (bad text, size, colour, missing font) is a :class:`SealSpecError`,
a ``ValueError``, so callers (forms, the API, the command line) can catch one type and show its
message as is. Messages are bilingual (Chinese first) because the people reading them are.
"""

from __future__ import annotations


class SealSpecError(ValueError):
    """A seal specification cannot be drawn; the message says why and what the limit is."""


class SealFontError(SealSpecError):
    """A font the seal needs is not installed; the message names the font and the Debian package."""
