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
from .problems import ApiProblem, problem

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
# What the gate answers before any operation runs (``gate``): every operation can get these.
GATE_PROBLEMS = {
    401: "Not authenticated: the key is missing, unknown, expired or revoked.",
    429: "Too many requests for this key: retry after the seconds in Retry-After.",
}


def document_problems(schema: dict) -> dict:
    """The document as the answers really are: every 4xx/5xx is ``application/problem+json``
    (ninja writes every response as application/json), and every operation declares the gate's
    401 and 429, which no operation raises itself."""
    from .schemas import ProblemOut

    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ProblemOut" not in components:
        found = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(found.pop("$defs", {}))
        components["ProblemOut"] = found
    ref = {"$ref": "#/components/schemas/ProblemOut"}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status, text in GATE_PROBLEMS.items():
                if status not in responses and str(status) not in responses:
                    responses[status] = {"description": text}
            for status, response in responses.items():
                if str(status)[0] not in "45":
                    continue
                content = response.get("content") or {}
                body = next(iter(content.values()), {}).get("schema") or ref
                response["content"] = {PROBLEM_TYPE: {"schema": body}}
    return schema


class ChopApi(NinjaAPI):
    """NinjaAPI whose OpenAPI document declares the problem answers as they are sent."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_problems(schema)


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
api.add_router("/evidence", evidence_api.router, tags=["evidence"])
api.add_router("/verify", verify_api.router, tags=["verify"])


@api.exception_handler(ApiProblem)
def _problem(request, exc: ApiProblem):
    return exc.response(request)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ())[1:]) or None,
            "message": str(e.get("msg", "")),
        }
        for e in exc.errors
    ]
    return problem(
        422, "invalid", _("Some fields are missing or not valid."), request=request, errors=errors
    )


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
