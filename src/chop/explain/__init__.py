"""Engine refusals rendered for people: ``(namespace, code, params)`` → translated text.

Each engine's messages live in a module of this package named for the engine (``sealart.py``,
``pdfsign.py``, ...), as a ``MESSAGES`` dict of code → ``gettext_lazy`` template with
``%(name)s`` placeholders filled from ``params``. Forms, views and the API call :func:`explain`;
nothing else picks a language.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_loaded: dict[str, dict[str, Any]] = {}


def _messages(namespace: str) -> dict[str, Any]:
    if namespace not in _loaded:
        try:
            module = import_module(f"{__name__}.{namespace}")
        except ModuleNotFoundError:
            _loaded[namespace] = {}
        else:
            _loaded[namespace] = module.MESSAGES
    return _loaded[namespace]


def explain(error: Any) -> str:
    """The active language's text for an engine error or result with ``namespace``/``code``.

    An unknown code falls back to the engine's own text (``str(error)``): a missing catalogue
    entry shows something true, never nothing. ``tests`` check that every code has an entry.
    """
    namespace = getattr(error, "namespace", "chop")
    code = getattr(error, "code", None) or getattr(error, "reason_code", "invalid")
    params = dict(getattr(error, "params", None) or getattr(error, "details", None) or {})
    template = _messages(namespace).get(code)
    if template is None:
        return str(error)
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
