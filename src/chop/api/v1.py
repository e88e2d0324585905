"""``/api/v1/``: one NinjaAPI, its error handlers, and the routers of each area.

Routers live in their own modules (``contracts_api``, ``seals_api``, ...) and are added here;
every error leaves as ``application/problem+json`` (``problems``).
"""

from __future__ import annotations

import logging

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from . import (
    autosign_api,
    contracts_api,
    evidence_api,
    grants_api,
    records_api,
    seals_api,
    verify_api,
)
from .auth import KeyBearer
from .openapi import problem_responses
from .problems import ApiProblem, problem

log = logging.getLogger(__name__)


class ChopApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """ninja's document, with the problem answers as the API gives them (``openapi``)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return problem_responses(schema)


api = ChopApi(
    title="Chop API",
    version="1.0.0",
    description=(
        "Contracts, seals, grants, auto-sign, stamping records, evidence and verification for "
        "one company. Authenticate with `Authorization: Bearer chop_…`; send `Idempotency-Key` "
        "with POST and PATCH to make retries safe. Errors are application/problem+json."
    ),
    auth=KeyBearer(),
    urls_namespace="api",
    docs_url=None,  # the docs page is /api/docs (docs_views), with its assets served locally
)

api.add_router("/contracts", contracts_api.router, tags=["contracts"])
api.add_router("/contracts", autosign_api.router, tags=["auto-sign"])
api.add_router("/seals", seals_api.router, tags=["seals"])
api.add_router("/grants", grants_api.router, tags=["grants"])
api.add_router("/stamps", records_api.router, tags=["stamping records"])
api.add_router("/contracts", evidence_api.contract_router, tags=["evidence"])
api.add_router("/evidence", evidence_api.router, tags=["evidence"])
api.add_router("/verify", verify_api.router, tags=["verify"])


@api.exception_handler(ApiProblem)
def _problem(request, exc: ApiProblem):
    return exc.response(request)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = [
        {"field": _field(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors
    ]
    return problem(
        422, "invalid", _("Some fields are missing or not valid."), request=request, errors=errors
    )


def _field(loc) -> str | None:
    """The field as the client names it: without where it was sent (query, form, body) and,
    for a JSON body, without the operation's parameter that holds it (``body.seal_id``)."""
    parts = [str(p) for p in loc]
    if len(parts) > 2 and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts[1:]) or None


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem(401, "key_missing", _("Send an API key."), request=request)


@api.exception_handler(Http404)
def _missing(request, exc):
    return problem(404, "not_found", _("There is no such object in your company."), request=request)


@api.exception_handler(HttpError)
def _http(request, exc: HttpError):
    return problem(exc.status_code, "http_error", str(exc), request=request)


@api.exception_handler(Exception)
def _crashed(request, exc: Exception):
    log.exception("API operation failed: %s %s", request.method, request.path)
    return problem(
        500,
        "server_error",
        _("Something went wrong on our side; nothing was changed. Retry, or contact support."),
        request=request,
    )
