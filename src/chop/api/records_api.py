"""``/stamps``: the caller company's stamping records (用印记录), one record, and their export as
CSV or XLSX (scope ``records``; ``permissions.can_monitor_stamps``, as the records page).

Every query starts from ``evidence.monitoring.company_records(request.company)`` and takes the
records page's filters (``StampFilter``) from the same query parameters; the exports stream
through ``evidence.exports`` with flat memory, whatever the size of the set.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from chop.audit.events import record
from chop.contracts.models import StampRecord
from chop.evidence import exports, monitoring
from chop.orgs import permissions

from .auth import need
from .pagination import page
from .problems import ApiProblem, forbidden, not_found
from .schemas import ERRORS
from .schemas_misc import Id, StampOut, StampPage, StampSealOut

router = Router()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StampFilters(Schema):
    """The records page's filters (unknown or malformed values are ignored, as there)."""

    seal: Id | None = None
    # a user id, or "auto" for auto-sign stamps
    person: Annotated[str, Field(pattern=r"^(auto|[1-9][0-9]{0,17})$")] | None = None
    form: str | None = None  # single, multi, riding, keyword
    contract: str | None = None  # part of a contract's title or number
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class StampListQuery(StampFilters):
    cursor: str | None = None
    limit: int | None = None


class ExportQuery(StampFilters):
    format: Literal["csv", "xlsx"] = "csv"


def _allowed(request) -> None:
    need(request, "records")
    if not permissions.can_monitor_stamps(request.membership):
        raise forbidden(
            _("Only the owner, administrators and seal keepers may see the stamping records.")
        )


def _records(request):
    """The records page's filters from the query, and the company's records they select."""
    _allowed(request)
    f = monitoring.StampFilter.from_query(request.GET)
    if f.errors:
        raise ApiProblem(
            422,
            "invalid",
            _("Some fields are missing or not valid."),
            errors=[
                {"field": name, "message": _("Use a date as YYYY-MM-DD.")} for name in f.errors
            ],
        )
    return f, f.apply(monitoring.company_records(request.company))


def stamp_out(r: StampRecord) -> StampOut:
    return StampOut(
        id=r.pk,
        stamped_at=r.stamped_at,
        contract_id=r.contract_id,
        contract_title=r.contract_title,
        contract_number=r.contract_number,
        contract_type=r.contract_type,
        party_name=r.party_name,
        signer_id=r.signer_id,
        signer_name=r.signer_name,
        seal=StampSealOut(id=r.seal_id, code=r.seal_code, kind=r.seal_kind, name=r.seal_name),
        forms=list(r.forms),
        pages=list(r.pages),
        base_sha256=r.base_sha256,
        signed_sha256=r.signed_sha256,
        authorisation_kind=r.authorisation_kind,
        authorisation_id=r.authorisation_id,
        intent_method=r.intent_method,
        certificate_serial=r.certificate_serial,
        tsa_time=r.tsa_time,
        ip=r.ip,
        device=r.device,
    )


@router.get(
    "",
    response={200: StampPage, **ERRORS},
    summary="List stamping records",
    description=(
        "The company's stamping records (one per signing act of the company), newest first by "
        "`stamped_at`. Filters as the records page: `seal` (seal id), `person` (user id, or "
        "`auto` for auto-sign stamps), `form` (single, multi, riding, keyword), `contract` "
        "(part of a title or number), `date_from`, `date_to` (YYYY-MM-DD, Beijing time). Keys "
        "made by the owner, an administrator or a seal keeper only. Scope `records`."
    ),
)
def list_stamps(request, filters: Query[StampListQuery]):
    _f, qs = _records(request)
    rows, next_cursor = page(qs, filters.cursor, filters.limit, fields=("stamped_at", "id"))
    return {"items": [stamp_out(r) for r in rows], "next_cursor": next_cursor}


@router.get(
    "/export",
    response={200: None, **ERRORS},
    summary="Export stamping records (CSV or XLSX)",
    description=(
        "The filtered records as a file, streamed: `format=csv` (UTF-8 with a BOM, for Excel) "
        "or `format=xlsx`. Takes the same filters as the list; `X-Total-Count` says how many "
        "records the file holds. Cells a spreadsheet would run as a formula get a leading "
        "apostrophe. Scope `records`."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "The records file",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def export_stamps(request, query: Query[ExportQuery]):
    f, qs = _records(request)
    count = qs.count()
    record(
        "stamp_records.exported",
        request=request,
        company=request.company,
        format=query.format,
        count=count,
        filters=f.query(),
    )
    if query.format == "xlsx":
        response = StreamingHttpResponse(exports.xlsx_chunks(qs, count), content_type=XLSX)
    else:
        response = StreamingHttpResponse(
            exports.csv_chunks(qs), content_type="text/csv; charset=utf-8"
        )
    name = f"stamp-records-{request.company.pk}-{timezone.localtime():%Y%m%d-%H%M}.{query.format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Total-Count"] = str(count)
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/{stamp_id}",
    response={200: StampOut, **ERRORS},
    summary="Get a stamping record",
    description="One stamping record of the company. Scope `records`.",
)
def get_stamp(request, stamp_id: int):
    _allowed(request)
    found = monitoring.company_records(request.company).filter(pk=stamp_id).first()
    if found is None:
        raise not_found()
    return stamp_out(found)
