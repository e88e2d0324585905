"""Puts the active space (personal, or one company) on every request.

``request.company`` and ``request.membership`` are set only while the signed-in user is still a
member of the company stored in the session; otherwise both are ``None`` (the personal space).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .access import active_membership


class ActiveSpaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = active_membership(request)
        request.membership = membership  # type: ignore[attr-defined]
        request.company = membership.company if membership is not None else None  # type: ignore[attr-defined]
        return self.get_response(request)
