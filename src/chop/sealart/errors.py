"""Errors raised by the seal engine.

Every problem a user can cause (bad text, size, colour, missing font) is a :class:`SealSpecError`,
a :class:`chop.errors.ChopError` (so a ``ValueError``) in the ``sealart`` namespace. Its ``code``
and ``params`` are what the app renders in the reader's language (``chop.explain``); the message
itself is bilingual (Chinese first) for the command line and logs.
"""

from __future__ import annotations

from typing import Any

from chop.errors import ChopError


class SealSpecError(ChopError):
    """A seal specification cannot be drawn; the message says why and what the limit is.

    Codes: ``empty``, ``control``, ``too_long``, ``glyph`` (``params["chars"]`` holds the
    characters the font cannot draw), ``does_not_fit``, ``legal_rep_name``, ``out_of_range``,
    ``too_many_chars``, ``oval_shape``, ``taxpayer_id_missing``, ``color``, ``kind``,
    ``opacity``, ``aged_seed``, ``output_format`` (command line), ``font_missing``,
    ``font_file_missing``, ``font_unreadable``, ``imitates_official`` and ``reserved_purpose``
    (:func:`chop.sealart.check_purpose`) or ``invalid``.
    """

    namespace = "sealart"
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message, code=code, **params)

    @property
    def chars(self) -> str:
        """The characters the font cannot draw (``glyph`` errors), else ""."""
        return str(self.params.get("chars", ""))


class SealFontError(SealSpecError):
    """A font the seal needs is not installed; the message names the font and the Debian package."""

    code = "font_missing"
