"""Evidence reports of a contract (出证报告) and the evidence summary for holders of its
verification code."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chop.accounts import ratelimit
from chop.audit.events import client_ip
from chop.contracts import access
from chop.contracts.models import Contract
from chop.orgs import permissions
from chop.orgs.access import membership_in
from chop.uploads import harden_file_headers

from . import reports
from .models import EvidenceReport, ReportState, VerificationCode

SUMMARY_PER_IP_PER_MINUTE = 30

BADGES = {ReportState.PENDING: "warn", ReportState.READY: "ok", ReportState.FAILED: "red"}

ERRORS = {
    "office.unavailable": gettext_lazy("The document converter is not available on the server."),
    "office.timeout": gettext_lazy("Making the document took too long."),
    "office.failed": gettext_lazy("The document converter could not make the PDF."),
    "queue": gettext_lazy("The report could not be queued."),
}


def may_request(user, contract: Contract) -> bool:
    """The rule of ``permissions.can_request_evidence``, with the user's memberships looked up."""
    m = membership_in(user, contract.company_id)
    parties = access.party_memberships(user, contract)
    return permissions.can_request_evidence(m, contract, user, parties)


def _contract(request: HttpRequest, pk: int) -> Contract:
    contract = get_object_or_404(Contract.objects.select_related("company", "created_by"), pk=pk)
    if not may_request(request.user, contract):
        raise Http404
    return contract


def error_text(code: str) -> str:
    if code in ERRORS:
        return str(ERRORS[code])
    return _("The report could not be made (%(code)s). Ask for a new one.") % {"code": code}


@login_required
def contract_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    if request.method == "POST":
        try:
            reports.request_report(contract, request.user, request=request)
        except reports.RequestRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Evidence report requested: its state below updates by itself.")
            )
        return redirect(reverse("contract_evidence", args=[contract.pk]))
    rows = [
        {
            "report": r,
            "badge": BADGES.get(r.state, ""),
            "error": error_text(r.error) if r.error else "",
        }
        for r in contract.evidence_reports.select_related("requested_by")
    ]
    return render(
        request,
        "evidence/reports.html",
        {
            "nav": "contracts",
            "contract": contract,
            "rows": rows,
            "pending": any(r["report"].state == ReportState.PENDING for r in rows),
            "code": VerificationCode.for_contract(contract).code,
        },
    )


@login_required
def contract_evidence_download(request: HttpRequest, pk: int, report: int) -> HttpResponse:
    contract = _contract(request, pk)
    obj = get_object_or_404(EvidenceReport, pk=report, contract=contract, state=ReportState.READY)
    with obj.file.open("rb") as fh:
        body = fh.read()
    response = HttpResponse(body, content_type="application/pdf")
    name = f"evidence-report-{contract.number or contract.pk}-{obj.pk}.pdf"
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in name)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return harden_file_headers(response)


def evidence_summary(request: HttpRequest, code: str) -> HttpResponse:
    """No login: what the verification code opens. A wrong code is a plain 404, and each
    address may try only so many codes a minute."""
    window = ratelimit.hit(
        f"evidence-summary:ip:{client_ip(request)}", limit=SUMMARY_PER_IP_PER_MINUTE, window=60
    )
    if not window.allowed:
        response = render(request, "evidence/summary_limited.html", status=429)
        response["Retry-After"] = str(window.retry_after)
        return response
    found = (
        VerificationCode.objects.select_related("contract")
        .filter(code=code.strip().upper()[:16])
        .first()
    )
    if found is None or found.contract.sent_at is None:
        raise Http404
    contract = found.contract
    acts = contract.acts.select_related("participant", "seal", "version").order_by(
        "signed_at", "pk"
    )
    latest = (
        contract.evidence_reports.filter(state=ReportState.READY).order_by("-finished_at").first()
    )
    return render(
        request,
        "evidence/summary.html",
        {
            "contract": contract,
            "parties": [p.name for p in contract.participants.order_by("position", "pk")],
            "acts": acts,
            "versions": contract.versions.order_by("number"),
            "latest": latest,
        },
    )
