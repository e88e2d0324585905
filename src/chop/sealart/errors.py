"""Errors raised by the seal engine.

Every problem a user can cause (bad text, size, colour, missing font) is a :class:`SealSpecError`,
a ``ValueError``, so callers (forms, the API, the command line) can catch one type and show its
message as is. Messages are bilingual (Chinese first) because the people reading them are.
"""

from __future__ import annotations


class SealSpecError(ValueError):
    """A seal specification cannot be drawn; the message says why and what the limit is.

    ``code`` names the reason for callers that show their own (translated) message instead of the
    engine's bilingual one: ``empty``, ``control``, ``too_long``, ``glyph`` (``chars`` holds the
    characters the font cannot draw), ``does_not_fit``, ``legal_rep_name`` or ``invalid``.
    """

    def __init__(self, message: str, *, code: str = "invalid", chars: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.chars = chars


class SealFontError(SealSpecError):
    """A font the seal needs is not installed; the message names the font and the Debian package."""
