"""What operations ask of the caller: the gate has already checked the key."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from .keys import Caller
from .models import Scope
from .problems import ApiProblem


class KeyBearer(HttpBearer):
    """Declares ``Authorization: Bearer chop_…`` in the OpenAPI document; the gate middleware
    already authenticated the key, so this only hands over its caller."""

    openapi_description = "An API key made on the company's API keys page: chop_<prefix>_<secret>."

    def authenticate(self, request, token):
        return getattr(request, "api", None)


def caller(request) -> Caller:
    found = getattr(request, "api", None)
    if found is None:  # only reachable if the gate is not installed
        raise ApiProblem(401, "key_missing", _("Send an API key."))
    return found


def need(request, scope: str) -> Caller:
    """The caller, if its key holds ``scope`` (403 ``scope_missing`` otherwise)."""
    found = caller(request)
    if not found.has_scope(scope):
        raise ApiProblem(
            403,
            "scope_missing",
            _("This API key lacks the “%(scope)s” scope (%(label)s).")
            % {"scope": scope, "label": Scope(scope).label},
        )
    return found
