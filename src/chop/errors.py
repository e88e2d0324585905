"""The one shape in which every engine refuses input: a stable code and its parameters.

Engines (sealart, pdfsign, pki, identity) import no Django and hold no translations. They raise a
:class:`ChopError` subclass, or return a result, carrying ``namespace`` (the engine), ``code`` (a
stable snake_case reason that callers branch on and store) and ``params`` (the facts the message
needs). The Django side turns that into zh/en text through gettext (``chop.explain``); command
lines and logs use the engine's own plain English ``str()``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ChopError"]


class ChopError(ValueError):
    """A refusal with a reason code. Subclasses set ``namespace`` and a default ``code``.

    It is a ``ValueError`` so that callers which only know "bad input" still catch it.
    """

    namespace: str = "chop"
    code: str = "invalid"

    def __init__(self, message: str = "", *, code: str | None = None, **params: Any) -> None:
        if code is not None:
            self.code = code
        self.params: dict[str, Any] = params
        super().__init__(message or self.code.replace("_", " "))
