"""The approver's workbench (用印审批) and the steps on a use request: decide, withdraw.

Every page is in the active company's space: its requests waiting for the user's decision, those
the user decided, and the user's own. A request is reached by id only by one of its approvers
(decide) or its requester (withdraw); for anyone else it is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import requests as service
from .models import UseDecision, UseRequest

TABS = ("waiting", "decided", "mine")


def _listed(qs):
    return qs.select_related("seal", "contract", "requester").prefetch_related(
        Prefetch("decisions", queryset=UseDecision.objects.select_related("approver")),
        "approvers",
    )


@login_required
def approvals(request):
    company = getattr(request, "company", None)
    user = request.user
    tab = request.GET.get("tab", "waiting")
    if tab not in TABS:
        tab = "waiting"
    lists = {"waiting": [], "decided": [], "mine": []}
    if company is not None:
        mine_company = UseRequest.objects.filter(company=company)
        lists = {
            "waiting": service.waiting_for(user).filter(company=company),
            "decided": mine_company.filter(decisions__approver=user).distinct(),
            "mine": mine_company.filter(requester=user),
        }
    labels = {
        "waiting": _("Waiting for me"),
        "decided": _("Decided by me"),
        "mine": _("My requests"),
    }
    tabs = [
        {"key": k, "label": labels[k], "count": lists[k].count() if company else 0} for k in TABS
    ]
    rows = []
    if company is not None:
        for r in _listed(lists[tab])[:100]:
            expired = service.is_expired(r)
            rows.append(
                {
                    "r": r,
                    "expired": expired,
                    "can_decide": tab == "waiting" and not expired,
                    "can_withdraw": r.requester_id == user.pk and r.state == r.State.PENDING,
                }
            )
    return render(
        request,
        "grants/approvals.html",
        {
            "nav": "approvals",
            "tab": tab,
            "tabs": tabs,
            "rows": rows,
            "personal": company is None,
            "comment_max": service.COMMENT_MAX,
        },
    )


@require_POST
@login_required
def approval_decide(request, pk: int):
    use_request = get_object_or_404(UseRequest.objects.filter(approvers=request.user), pk=pk)
    verdict = request.POST.get("verdict")
    if verdict not in ("approve", "reject"):
        messages.error(request, _("Approve or reject the request."))
        return redirect(f"{reverse('approvals')}?tab=waiting")
    try:
        decided = service.decide(
            use_request,
            by=request.user,
            approve=verdict == "approve",
            comment=request.POST.get("comment", ""),
            request=request,
        )
    except service.RequestError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('approvals')}?tab=waiting")
    if decided.state == decided.State.APPROVED:
        note = _("Approved: %(who)s may stamp once with %(seal)s.")
    elif decided.state == decided.State.REJECTED:
        note = _("Rejected: %(who)s is told your comment.")
    else:
        note = _("Your approval is recorded; the other approvers still decide.")
    messages.success(
        request, note % {"who": decided.requester.display_name, "seal": decided.seal.name}
    )
    return redirect(f"{reverse('approvals')}?tab=waiting")


def _safe_next(back: str) -> str:
    """Only a path back to a page of this site that lists requests (never another host)."""
    ok = back.startswith(("/contracts/", "/approvals/")) and "//" not in back
    return back if ok else ""


@require_POST
@login_required
def approval_withdraw(request, pk: int):
    use_request = get_object_or_404(UseRequest.objects.filter(requester=request.user), pk=pk)
    try:
        service.withdraw(use_request, by=request.user, request=request)
    except service.RequestError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your request is withdrawn."))
    back = _safe_next(request.POST.get("next", ""))
    return redirect(back) if back else redirect(f"{reverse('approvals')}?tab=mine")
