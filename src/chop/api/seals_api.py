"""``/seals``: the caller company's seals, one seal, and its image (scope ``read``).

The image follows the web's seal image view: full resolution (a 300 dpi PNG) when
``permissions.can_download_seal_image`` allows the key's maker, a small preview PNG otherwise.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from chop.orgs import permissions
from chop.seals import exports
from chop.seals.models import Seal
from chop.uploads import harden_file_headers

from .auth import need
from .pagination import page
from .problems import ApiProblem, not_found
from .schemas import ERRORS
from .schemas_misc import CertificateOut, SealOut, SealPage

router = Router()


class SealFilters(Schema):
    kind: str | None = None
    status: str | None = None
    cursor: str | None = None
    limit: int | None = None


def seal_out(seal: Seal) -> SealOut:
    cert = seal.certificate
    return SealOut(
        id=seal.pk,
        kind=seal.kind,
        name=seal.name,
        status=seal.status,
        code=seal.code or None,
        origin=seal.origin,
        created_at=seal.created_at,
        certificate=CertificateOut(serial=cert.serial_hex, not_after=cert.not_after)
        if cert is not None
        else None,
    )


def company_seal(request, seal_id: int) -> Seal:
    """A seal of the caller's company (404 for any other, whoever owns it)."""
    seal = (
        Seal.objects.filter(company=request.company, pk=seal_id)
        .select_related("certificate")
        .first()
    )
    if seal is None:
        raise not_found()
    return seal


def _choice(name: str, value: str | None, allowed) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        raise ApiProblem(
            422,
            "invalid",
            _("Some fields are missing or not valid."),
            errors=[
                {
                    "field": name,
                    "message": _("Choose one of: %(values)s") % {"values": ", ".join(allowed)},
                }
            ],
        )
    return value


@router.get(
    "",
    response={200: SealPage, **ERRORS},
    summary="List seals",
    description=(
        "The company's seals, newest first. Filter by `kind` (official, contract, finance, hr, "
        "invoice, legal_rep, foreign, custom) and `status` (pending, active, disabled, revoked). "
        "Only `active` seals with a certificate can stamp. Scope `read`."
    ),
)
def list_seals(request, filters: Query[SealFilters]):
    need(request, "read")
    qs = Seal.objects.filter(company=request.company).select_related("certificate")
    if kind := _choice("kind", filters.kind, Seal.Kind.values):
        qs = qs.filter(kind=kind)
    if status := _choice("status", filters.status, Seal.Status.values):
        qs = qs.filter(status=status)
    rows, next_cursor = page(qs, filters.cursor, filters.limit)
    return {"items": [seal_out(s) for s in rows], "next_cursor": next_cursor}


@router.get(
    "/{seal_id}",
    response={200: SealOut, **ERRORS},
    summary="Get a seal",
    description="One seal of the company with its certificate's serial and end. Scope `read`.",
)
def get_seal(request, seal_id: int):
    need(request, "read")
    return seal_out(company_seal(request, seal_id))


@router.get(
    "/{seal_id}/image",
    response={200: None, **ERRORS},
    summary="Get a seal's image (PNG)",
    description=(
        "The seal's image as `image/png`. Keys made by the owner, an administrator or a seal "
        "keeper get the full-resolution artwork (300 dpi, transparent); other keys get a small "
        "preview, as on the Seals page. The `X-Chop-Image` header says which (`full` or "
        "`preview`). Scope `read`."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "The seal's image",
                "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def seal_image(request, seal_id: int):
    need(request, "read")
    seal = company_seal(request, seal_id)
    if not seal.image:
        raise not_found(_("This seal has no image yet."))
    full = permissions.can_download_seal_image(request.membership, seal, request.user)
    body = exports.artwork(seal).png if full else exports.preview_png(seal)
    response = harden_file_headers(HttpResponse(body, content_type="image/png"))
    response["X-Chop-Image"] = "full" if full else "preview"
    response["Content-Disposition"] = f'inline; filename="seal-{seal.code}.png"'
    return response
