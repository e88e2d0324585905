"""A seal's grants page, the new-grant form, revoking a grant, and the seal's approvers.

Every view looks the seal up in the active company only (404 for anything else, including a
person's own seal and the legal representative's seal, which nobody grants), asks
``orgs.permissions`` who may see or change, and hands changes to ``granting``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from chop.orgs import permissions
from chop.orgs.models import Membership, Role
from chop.seals.models import Seal

from . import granting
from .grant_forms import ApproversForm, GrantForm
from .models import ApprovalRule, Grant, GrantState

STATE_BADGE = {
    GrantState.ACTIVE: "ok",
    GrantState.PENDING: "warn",
    GrantState.EXPIRED: "",
    GrantState.REVOKED: "red",
}


def _seal(request: HttpRequest, pk: int) -> Seal:
    """A company seal of the active company (404 otherwise)."""
    if request.company is None:
        raise Http404
    return get_object_or_404(
        Seal.objects.filter(company=request.company, owner__isnull=True).select_related(
            "company", "certificate"
        ),
        pk=pk,
    )


def _membership(request: HttpRequest) -> Membership | None:
    return getattr(request, "membership", None)


def role_label(value: str) -> str:
    try:
        return str(Role(value).label)
    except ValueError:
        return value


def decorate(grant: Grant, now) -> Grant:
    grant.state_now = grant.state_at(now)
    grant.state_label = GrantState(grant.state_now).label
    grant.badge = STATE_BADGE.get(grant.state_now, "")
    grant.live = grant.state_now in (GrantState.ACTIVE, GrantState.PENDING)
    grant.member_names = [u.display_name for u in grant.members.all()]
    grant.role_labels = [role_label(r) for r in grant.roles or []]
    return grant


def approval_rule(seal: Seal) -> dict:
    """The seal's approvers as the pages show them: names and mode, or the default."""
    rule = ApprovalRule.objects.filter(seal=seal).prefetch_related("approvers").first()
    names = [u.display_name for u in rule.approvers.all()] if rule else []
    return {
        "rule": rule,
        "names": names,
        "mode": rule.get_mode_display() if rule and names else "",
        "default": not names,
    }


@login_required
def seal_grants(request: HttpRequest, pk: int) -> HttpResponse:
    seal = _seal(request, pk)
    m = _membership(request)
    if not permissions.can_view_seal_grants(m, seal):
        raise Http404
    now = timezone.now()
    grants = [
        decorate(g, now)
        for g in Grant.objects.filter(seal=seal)
        .select_related("granted_by", "revoked_by")
        .prefetch_related(Prefetch("members"))
        .order_by("-created_at", "-pk")
    ]
    return render(
        request,
        "grants/seal_grants.html",
        {
            "nav": "seals",
            "seal": seal,
            "grants": grants,
            "active_count": sum(1 for g in grants if g.state_now == GrantState.ACTIVE),
            "can_grant": permissions.can_grant_seal(m, seal),
            "grantable": granting.grantable(seal),
            "approvers": approval_rule(seal),
        },
    )


def _contract_types(company) -> list[str]:
    """The company's contract types so far, for the form's suggestions (related manager: this
    app does not import the contracts app above it)."""
    seen: dict[str, str] = {}
    for value in company.contracts.exclude(contract_type="").values_list(
        "contract_type", flat=True
    ):
        seen.setdefault(" ".join(value.split()).casefold(), value)
    return sorted(seen.values())[:200]


@login_required
def seal_grant_new(request: HttpRequest, pk: int) -> HttpResponse:
    seal = _seal(request, pk)
    m = _membership(request)
    if not permissions.can_grant_seal(m, seal):
        raise PermissionDenied
    if request.method == "POST":
        form = GrantForm(request.POST, company=seal.company)
        if form.is_valid() and granting.grantable(seal):
            data = form.cleaned_data
            try:
                granting.grant(
                    seal,
                    by=request.user,
                    members=form.users,
                    roles=data["roles"],
                    contract_types=data["type_list"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    max_uses=data["max_uses"],
                    note=data["note"],
                    request=request,
                )
            except granting.GrantError as exc:
                _put_back(form, exc)
            else:
                messages.success(request, _("The seal is granted. The people it names were told."))
                return redirect("seal_grants", pk=seal.pk)
        status = 400
    else:
        form = GrantForm(company=seal.company)
        status = 200
    return render(
        request,
        "grants/grant_form.html",
        {
            "nav": "seals",
            "seal": seal,
            "form": form,
            "grantable": granting.grantable(seal),
            "types": _contract_types(seal.company),
        },
        status=status,
    )


def _put_back(form, exc: granting.GrantError) -> None:
    """The service's refusals, on the form's fields (the type list lives in one box)."""
    if not hasattr(exc, "error_dict"):
        for error in exc.messages:
            form.add_error(None, error)
        return
    for field, errors in exc.message_dict.items():
        name = field if field in form.fields else None
        for error in errors:
            form.add_error(name, error)


@login_required
def seal_grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation step (works without JavaScript); POST: revoke."""
    if request.company is None:
        raise Http404
    grant = get_object_or_404(
        Grant.objects.filter(company=request.company, seal__owner__isnull=True)
        .select_related("seal", "seal__company", "granted_by")
        .prefetch_related("members"),
        pk=pk,
    )
    seal = grant.seal
    m = _membership(request)
    if not permissions.can_grant_seal(m, seal):
        raise PermissionDenied
    decorate(grant, timezone.now())
    if request.method == "POST":
        try:
            granting.revoke(grant, by=request.user, request=request)
        except granting.GrantError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The grant is revoked: it no longer allows any stamp."))
        return redirect("seal_grants", pk=seal.pk)
    if not grant.live:
        messages.info(request, _("This grant has already ended."))
        return redirect("seal_grants", pk=seal.pk)
    return render(
        request, "grants/grant_revoke.html", {"nav": "seals", "seal": seal, "grant": grant}
    )


@login_required
def seal_approvers(request: HttpRequest, pk: int) -> HttpResponse:
    seal = _seal(request, pk)
    m = _membership(request)
    if not permissions.can_view_seal_grants(m, seal):
        raise Http404
    can_change = permissions.can_grant_seal(m, seal)
    rule = ApprovalRule.objects.filter(seal=seal).prefetch_related("approvers").first()
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = ApproversForm(request.POST, company=seal.company)
        if form.is_valid():
            try:
                granting.set_approvers(
                    seal,
                    by=request.user,
                    approvers=form.users,
                    mode=form.cleaned_data["mode"],
                    request=request,
                )
            except granting.GrantError as exc:
                _put_back(form, exc)
            else:
                messages.success(request, _("The approvers of this seal are saved."))
                return redirect("seal_grants", pk=seal.pk)
        status = 400
    else:
        initial = {"mode": rule.mode if rule else "any"}
        if rule:
            chosen = {u.pk for u in rule.approvers.all()}
            initial["approvers"] = [
                x.pk for x in seal.company.memberships.all() if x.user_id in chosen
            ]
        form = ApproversForm(company=seal.company, initial=initial)
    return render(
        request,
        "grants/approvers.html",
        {
            "nav": "seals",
            "seal": seal,
            "form": form,
            "can_change": can_change,
            "approvers": approval_rule(seal),
        },
        status=status,
    )
