"""Evidence reports (出证报告) over the API (scope ``records``).

* ``router`` (mounted at ``/evidence``): a report's state and its signed PDF;
* ``contract_router`` (mounted at ``/contracts``): ``POST /{contract_id}/evidence`` asks for a
  new report through ``evidence.reports.request_report``, answered 202 while a background task
  makes it.

Who may: ``permissions.can_request_evidence`` as on the contract's evidence page, for the
caller's company only — its members see the reports of the contracts it initiated and of those
it is a company party to (once sent). Anything else is a 404, as for an id that does not exist.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from chop.contracts.models import Contract
from chop.evidence import reports
from chop.evidence.models import EvidenceReport, ReportState, VerificationCode
from chop.orgs import permissions
from chop.uploads import harden_file_headers

from .auth import need
from .problems import ApiProblem, not_found
from .schemas import ERRORS, ProblemOut
from .schemas_misc import EvidenceReportOut

router = Router()
contract_router = Router()


def _may_request(request, contract: Contract) -> bool:
    """``can_request_evidence`` with the caller company's membership: as the initiator, or as
    the company parties of the caller's company (never the key maker's other companies, nor
    them as a person)."""
    m = request.membership
    parties = [
        (p, m)
        for p in contract.participants.select_related("contract").filter(
            kind="company", company=request.company
        )
    ]
    initiator = m if contract.company_id == request.company.pk else None
    return permissions.can_request_evidence(initiator, contract, request.user, parties)


def _contract(request, contract_id: int) -> Contract:
    """A contract the caller's company initiated or is a company party to (404 otherwise)."""
    found = (
        Contract.objects.filter(
            Q(company=request.company)
            | Q(participants__kind="company", participants__company=request.company),
            pk=contract_id,
        )
        .distinct()
        .first()
    )
    if found is None:
        raise not_found()
    return found


def report_out(report: EvidenceReport) -> EvidenceReportOut:
    ready = report.state == ReportState.READY
    return EvidenceReportOut(
        id=report.pk,
        state=report.state,
        contract_id=report.contract_id,
        sha256=report.sha256 or None,
        code=VerificationCode.for_contract(report.contract).code,
        requested_at=report.created_at,
        ready_at=report.finished_at if ready else None,
        error=report.error or None,
        file_url=f"/api/v1/evidence/{report.pk}/file" if ready else None,
    )


def _report(request, report_id: int) -> EvidenceReport:
    report = EvidenceReport.objects.select_related("contract").filter(pk=report_id).first()
    if report is None:
        raise not_found()
    try:
        contract = _contract(request, report.contract_id)
    except ApiProblem:
        raise not_found() from None
    if not _may_request(request, contract):
        raise not_found()
    return report


@contract_router.post(
    "/{contract_id}/evidence",
    response={202: EvidenceReportOut, **ERRORS, 409: ProblemOut},
    summary="Request an evidence report",
    description=(
        "Ask for a new evidence report (出证报告) of a sent contract: an A4 PDF signed by the "
        "platform with the contract's facts, acts, stamping records and their log proofs. It "
        "is made in the background: poll `GET /evidence/{report_id}` until `state` is `ready` "
        "(or `failed`), then download `file_url`. One report of a contract is made at a time "
        "and each key maker may ask for a few an hour: otherwise 409 `evidence_refused`; a "
        "draft answers 409 `contract_draft`. Scope `records`."
    ),
)
def request_evidence(request, contract_id: int):
    need(request, "records")
    contract = _contract(request, contract_id)
    if contract.is_draft or contract.sent_at is None:
        if contract.company_id != request.company.pk:
            raise not_found()
        raise ApiProblem(
            409, "contract_draft", _("A draft has no evidence yet: send it for signing first.")
        )
    if not _may_request(request, contract):
        raise not_found()
    try:
        report = reports.request_report(contract, request.user, request=request)
    except reports.RequestRefused as exc:
        raise ApiProblem(409, "evidence_refused", str(exc)) from None
    report.refresh_from_db()
    return Status(202, report_out(report))


@router.get(
    "/{report_id}",
    response={200: EvidenceReportOut, **ERRORS},
    summary="Get an evidence report",
    description=(
        "A report's state: `pending` (being made), `ready` (download `file_url`) or `failed` "
        "(`error` says why; ask for a new one). `code` is the contract's verification code "
        "(合同验证码), printed on the report. Scope `records`."
    ),
)
def get_report(request, report_id: int):
    need(request, "records")
    return report_out(_report(request, report_id))


@router.get(
    "/{report_id}/file",
    response={200: None, **ERRORS, 409: ProblemOut},
    summary="Download an evidence report (PDF)",
    description=(
        "The signed report as `application/pdf`; 409 `report_not_ready` while it is being "
        "made or if it failed. Scope `records`."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "The signed evidence report",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def report_file(request, report_id: int):
    need(request, "records")
    report = _report(request, report_id)
    if report.state != ReportState.READY:
        raise ApiProblem(409, "report_not_ready", _("This report is not ready."))
    with report.file.open("rb") as fh:
        body = fh.read()
    response = harden_file_headers(HttpResponse(body, content_type="application/pdf"))
    response["Content-Disposition"] = (
        f'attachment; filename="evidence-report-{report.contract_id}-{report.pk}.pdf"'
    )
    return response
