"""How a company case ends: approved (the company is verified and gets its official seal),
rejected, or expired; and why an approval could not complete.

Every path that decides a company (the registry's answer, the operator, the legal
representative's match, the micro-deposit) ends here, so the company's status follows its case.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from chop.audit.events import record
from chop.orgs.models import Company

from .. import notify
from ..models import CompanyVerification
from ..states import State
from .errors import ApprovalBlocked
from .evidence import review_evidence


def release_company(case: CompanyVerification) -> None:
    company = case.company
    if company.status != Company.Status.VERIFIED:
        company.status = (
            Company.Status.REJECTED if case.state == State.REJECTED else Company.Status.UNVERIFIED
        )
        company.save(update_fields=["status"])


def reject_company(case: CompanyVerification, *, reason: str, by) -> None:
    case.advance(State.REJECTED, by=by, reason=reason)
    release_company(case)
    notify.company_decided(case)


def check_seal_drawable(case: CompanyVerification) -> None:
    """Raise ApprovalBlocked, with the reason for the operator, if the official seal cannot be
    drawn from the name on the case (cases submitted before forms checked it)."""
    from chop.explain import explain
    from chop.sealart import check_seal_text

    problem = check_seal_text("official", case.company_name)
    if problem is not None:
        raise ApprovalBlocked(
            _(
                "The official seal cannot be drawn from the company name: %(reason)s Reject the "
                "case with this reason so the applicant can correct the name."
            )
            % {"reason": explain(problem)}
        )


def note_blocked_approval(case, *, operator, reason: str, request=None) -> None:
    """After an approval rolled back (ApprovalBlocked): keep why, as evidence, an audit event and
    the case's last error, so the operator sees it on the case page; the case stays reviewable."""
    with transaction.atomic():
        case = type(case).objects.select_for_update().get(pk=case.pk)
        review_evidence(case, operator=operator, result="blocked", detail=reason)
        case.last_error = reason[:400]
        case.save(update_fields=["last_error", "updated_at"])
        record(
            "verification.approval_blocked",
            request=request,
            actor=operator,
            company=getattr(case, "company", None),
            obj=case,
            reason=reason,
        )


def approve_company(case: CompanyVerification, *, by) -> None:
    """Everything is proven: the company is verified, gets its certificate and official seal.

    The legal representative's seal is not issued here: it needs their consent (consent.py).
    Raises ApprovalBlocked (and the caller's transaction rolls back) if the seal cannot be drawn.
    """
    from chop.sealart import SealSpecError
    from chop.seals import issuance

    check_seal_drawable(case)
    case.advance(State.APPROVED, by=by)
    company = case.company
    company.name = case.company_name
    company.uscc = case.uscc
    company.status = Company.Status.VERIFIED
    company.save(update_fields=["name", "uscc", "status"])
    record("company.verified", actor=by, company=company, obj=case, method=case.method)
    try:
        issuance.ensure_official_seal(company, by=by)
    except SealSpecError as exc:
        from chop.explain import explain

        raise ApprovalBlocked(explain(exc)) from exc
    notify.company_decided(case)
