"""Workbench, space switching, companies, members and invitations.

Every view that names a company in its URL is wrapped in ``company_view``, which resolves the
company through ``access.get_company_for`` *before* anything else (so outsiders get 404 for every
method), then checks the HTTP method. Every decision is asked of ``permissions``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chop.audit.events import record
from chop.audit.models import AuditEvent

from . import permissions, services
from .access import enter_space, get_company_for, set_active_company
from .forms import CompanyForm, InviteForm, RoleForm
from .models import Company, Invitation, Membership
from .record_labels import NOISE


def company_view(methods: Iterable[str] = ("GET", "POST")):
    """Resolve the URL's ids or 404 first, whatever the method; then enforce ``methods``.

    ``company_id`` becomes ``(company, membership)``; ``member_id`` becomes ``target``, a membership
    *of that company*; ``invitation_id`` becomes ``invitation``, likewise scoped. So no view looks
    up a company object by id on its own, and a wrong company answers 404 before 405.
    """
    allowed = [m.upper() for m in methods]

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, company_id: int, **kwargs) -> HttpResponse:
            company, membership = get_company_for(request, company_id)
            if "member_id" in kwargs:
                kwargs["target"] = _member_in(company, kwargs.pop("member_id"))
            if "invitation_id" in kwargs:
                kwargs["invitation"] = get_object_or_404(
                    Invitation, pk=kwargs.pop("invitation_id"), company=company
                )
            if request.method not in allowed:
                return HttpResponseNotAllowed(allowed)
            if request.method in ("GET", "HEAD"):
                # Opening a company's page (a link, a bookmark) enters that company's space.
                enter_space(request, company, membership)
            return view(request, company, membership, **kwargs)

        return wrapper

    return decorate


def _member_in(company: Company, member_id: int) -> Membership:
    """A membership of ``company`` by id; 404 for any other company's."""
    return get_object_or_404(
        Membership.objects.select_related("user", "company"), pk=member_id, company=company
    )


def _changed_meanwhile(request: HttpRequest, company: Company) -> HttpResponse:
    """A role change lost a race with another one: say so and show the members as they are now."""
    messages.error(
        request,
        _(
            "The members changed in the meantime, so nothing was done. Check the list and try again."
        ),
    )
    return redirect("company_members", company_id=company.pk)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return fallback


def _section_after_switch(request: HttpRequest) -> str:
    """Stay in the same section (Members, Records, ...) of the new space; else the workbench.

    A page of the previous company (its members, a transfer form) makes no sense in the new space.
    """
    nxt = _safe_next(request, "")
    if nxt:
        try:
            match = resolve(urlsplit(nxt).path)
        except Resolver404:
            match = None
        if match is not None and match.url_name in SECTIONS and not match.namespace:
            return reverse(match.url_name)
    return reverse("workbench")


SECTIONS = frozenset({"workbench", "seals", "contracts", "members", "records", "stamp_records"})


# --- workbench and spaces ------------------------------------------------------------------------


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    company: Company | None = request.company
    context: dict = {
        "nav": "workbench",
        "title": _("Workbench"),
        "invitations": list(Invitation.open_for(request.user)),
    }
    if company is not None:
        week_ago = timezone.now() - timedelta(days=7)
        membership = request.membership
        context.update(
            member_count=company.memberships.count(),
            pending_invitations=company.invitations.filter(
                status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
            ).count(),
            events_this_week=AuditEvent.objects.filter(company=company, created_at__gte=week_ago)
            .exclude(action__in=NOISE)
            .count(),
            can_view_records=permissions.can_view_records(membership),
            can_monitor_stamps=permissions.can_monitor_stamps(membership),
            can_invite=permissions.can_invite(membership),
            can_start_verification=permissions.can_start_verification(membership),
            can_manage_api_keys=permissions.can_manage_api_keys(membership),
            seal_count=company.seals.count(),
        )
    else:
        context["memberships"] = list(
            Membership.objects.filter(user=request.user)
            .select_related("company")
            .order_by("company__name")
        )
    return render(request, "orgs/workbench.html", context)


@login_required
@require_POST
def switch_space(request: HttpRequest) -> HttpResponse:
    """Make a company (or the personal space) the active one. Only companies the user is in."""
    space = request.POST.get("space", "")
    previous = request.company
    if space == "personal":
        set_active_company(request, None)
        target = None
    else:
        try:
            company_id = int(space)
        except ValueError as exc:
            raise Http404 from exc
        target, _m = get_company_for(request, company_id)
        set_active_company(request, target)
    if (previous.pk if previous else None) != (target.pk if target else None):
        record(
            "space.switched",
            request=request,
            company=target or previous,
            to=target.pk if target else "personal",
            **{"from": previous.pk if previous else "personal"},
        )
    return redirect(_section_after_switch(request))


@login_required
def company_create(request: HttpRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        company = services.create_company(request.user, form.cleaned_data["name"], request=request)
        set_active_company(request, company)
        messages.success(
            request,
            _("%(company)s was created and is now your active space.") % {"company": company.name},
        )
        return redirect("workbench")
    return render(
        request,
        "orgs/company_form.html",
        {"form": form, "nav": "workbench", "title": _("Create a company")},
    )


@company_view(methods=("GET",))
def company_detail(request: HttpRequest, company: Company, membership: Membership) -> HttpResponse:
    return render(
        request,
        "orgs/company_detail.html",
        {
            "company": company,
            "membership": membership,
            "member_count": company.memberships.count(),
            "can_start_verification": permissions.can_start_verification(membership),
            "can_manage_api_keys": permissions.can_manage_api_keys(membership),
            "can_manage_webhooks": permissions.can_manage_webhooks(membership),
            "can_leave": permissions.can_remove_member(membership, membership),
            "nav": "workbench",
            "title": company.name,
        },
    )


@company_view(methods=("GET",))
def company_verify(request: HttpRequest, company: Company, membership: Membership) -> HttpResponse:
    """The "verify" call-to-action: enterprise verification for this company.

    Verification works on the active company, so this makes ``company`` active and hands over to
    the verification pages.
    """
    if not permissions.can_start_verification(membership):
        raise PermissionDenied
    set_active_company(request, company)
    return redirect("verification:company")


# --- members --------------------------------------------------------------------------------------


@login_required
def members(request: HttpRequest) -> HttpResponse:
    """The Members tab: the active company's members, or a pointer to a company space."""
    if request.company is not None:
        return redirect("company_members", company_id=request.company.pk)
    return render(
        request,
        "orgs/members_personal.html",
        {
            "nav": "members",
            "title": _("Members"),
            "memberships": Membership.objects.filter(user=request.user).select_related("company"),
        },
    )


@company_view()
def company_members(request: HttpRequest, company: Company, membership: Membership) -> HttpResponse:
    invite_form = None
    if permissions.can_invite(membership):
        invite_form = InviteForm(request.POST or None, actor=membership)
        if request.method == "POST" and invite_form.is_valid():
            try:
                invitation = services.invite(
                    membership,
                    invite_form.cleaned_data["target"],
                    invite_form.cleaned_data["role"],
                    request=request,
                )
            except ValidationError as exc:
                invite_form.add_error("target", exc)
            else:
                if invitation.delivered:
                    messages.success(
                        request,
                        _("Invitation sent to %(target)s. It is valid for 7 days.")
                        % {"target": invitation.target},
                    )
                else:
                    messages.warning(
                        request,
                        _(
                            "The invitation to %(target)s was saved but could not be delivered. "
                            "Try again later."
                        )
                        % {"target": invitation.target},
                    )
                return redirect("company_members", company_id=company.pk)
    elif request.method == "POST":
        raise PermissionDenied
    rows = []
    for m in company.memberships.select_related("user").order_by("joined_at", "pk"):
        rows.append(
            {
                "m": m,
                "is_me": m.pk == membership.pk,
                "role_form": RoleForm(initial={"role": m.role}, actor=membership)
                if permissions.can_change_any_role(membership, m)
                else None,
                "can_remove": permissions.can_remove_member(membership, m),
                "can_transfer": permissions.can_transfer_ownership(membership, m),
            }
        )
    invitations = (
        company.invitations.filter(status=Invitation.Status.PENDING).select_related("invited_by")
        if permissions.can_invite(membership)
        else Invitation.objects.none()
    )
    return render(
        request,
        "orgs/members.html",
        {
            "company": company,
            "membership": membership,
            "rows": rows,
            "invite_form": invite_form,
            "invitations": invitations,
            "can_cancel": permissions.can_cancel_invitation(membership),
            "can_manage_api_keys": permissions.can_manage_api_keys(membership),
            "can_manage_webhooks": permissions.can_manage_webhooks(membership),
            "now": timezone.now(),
            "nav": "members",
            "title": _("Members"),
        },
    )


@company_view(methods=("POST",))
def member_role(
    request: HttpRequest, company: Company, membership: Membership, target: Membership
) -> HttpResponse:
    form = RoleForm(request.POST, actor=membership)
    if not form.is_valid() or not permissions.can_change_role(
        membership, target, form.cleaned_data["role"]
    ):
        raise PermissionDenied
    try:
        services.change_role(membership, target, form.cleaned_data["role"], request=request)
    except services.MembershipChanged:
        return _changed_meanwhile(request, company)
    messages.success(
        request,
        _("%(name)s is now %(role)s.")
        % {"name": target.user.display_name, "role": target.get_role_display()},
    )
    return redirect("company_members", company_id=company.pk)


@company_view(methods=("POST",))
def member_remove(
    request: HttpRequest, company: Company, membership: Membership, target: Membership
) -> HttpResponse:
    if not permissions.can_remove_member(membership, target):
        raise PermissionDenied
    leaving = target.pk == membership.pk
    try:
        services.remove_member(membership, target, request=request)
    except services.MembershipChanged:
        return _changed_meanwhile(request, company)
    if leaving:
        set_active_company(request, None)
        messages.success(request, _("You left %(company)s.") % {"company": company.name})
        return redirect("workbench")
    messages.success(
        request,
        _("%(name)s was removed from the company.") % {"name": target.user.display_name},
    )
    return redirect("company_members", company_id=company.pk)


@company_view()
def ownership_transfer(
    request: HttpRequest, company: Company, membership: Membership, target: Membership
) -> HttpResponse:
    """Confirm, then hand the company to another member; the old owner becomes an administrator."""
    if not permissions.can_transfer_ownership(membership, target):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "yes":
            try:
                services.transfer_ownership(membership, target, request=request)
            except services.MembershipChanged:
                return _changed_meanwhile(request, company)
            messages.success(
                request,
                _("%(name)s is now the owner of %(company)s. You are an administrator.")
                % {"name": target.user.display_name, "company": company.name},
            )
            return redirect("company_members", company_id=company.pk)
        error = _("Tick the box to confirm the transfer.")
    return render(
        request,
        "orgs/transfer.html",
        {
            "company": company,
            "target": target,
            "error": error,
            "nav": "members",
            "title": _("Transfer ownership"),
        },
    )


@company_view(methods=("POST",))
def invitation_cancel(
    request: HttpRequest, company: Company, membership: Membership, invitation: Invitation
) -> HttpResponse:
    if not permissions.can_cancel_invitation(membership):
        raise PermissionDenied
    services.cancel_invitation(membership, invitation, request=request)
    messages.success(request, _("The invitation was cancelled."))
    return redirect("company_members", company_id=company.pk)


# --- answering invitations -------------------------------------------------------------------------


def _addressed_invitation(request: HttpRequest, invitation_id: int) -> Invitation:
    """An invitation addressed to the signed-in user's phone or e-mail; 404 for anyone else's."""
    invitation = get_object_or_404(Invitation.objects.select_related("company"), pk=invitation_id)
    if not invitation.is_addressed_to(request.user):
        raise Http404
    return invitation


def _answer(request: HttpRequest, invitation: Invitation, accept: bool, via: str) -> HttpResponse:
    try:
        if accept:
            services.accept_invitation(request.user, invitation, via=via, request=request)
        else:
            services.decline_invitation(request.user, invitation, via=via, request=request)
    except services.InvitationClosed:
        if invitation.status == Invitation.Status.PENDING:
            messages.error(request, _("This invitation has expired. Ask for a new one."))
        else:
            messages.error(request, _("This invitation is no longer open."))
        return redirect("workbench")
    if accept:
        set_active_company(request, invitation.company)
        messages.success(
            request,
            _("Welcome to %(company)s. It is now your active space.")
            % {"company": invitation.company.name},
        )
    else:
        messages.info(
            request,
            _("You declined the invitation from %(company)s.")
            % {"company": invitation.company.name},
        )
    return redirect("workbench")


@login_required
def invitation_accept(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = _addressed_invitation(request, invitation_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _answer(request, invitation, accept=True, via="address")


@login_required
def invitation_decline(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = _addressed_invitation(request, invitation_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _answer(request, invitation, accept=False, via="address")


@login_required
def invitation_token(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent with the invitation: it opens the invitation, but only the account that owns
    the phone or address it was sent to may answer it. A forwarded or leaked link must not let
    whoever is signed in join the company (or decline for the invitee)."""
    invitation = get_object_or_404(
        Invitation.objects.select_related("company", "invited_by"), token=token
    )
    if not invitation.is_addressed_to(request.user):
        return render(
            request,
            "orgs/invitation_wrong_account.html",
            {"invitation": invitation, "nav": "workbench", "title": _("Invitation")},
            status=403,
        )
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("accept", "decline"):
            return HttpResponse(status=400)
        return _answer(request, invitation, accept=action == "accept", via="token")
    already = Membership.objects.filter(company=invitation.company, user=request.user).exists()
    return render(
        request,
        "orgs/invitation.html",
        {
            "invitation": invitation,
            "already_member": already,
            "nav": "workbench",
            "title": _("Invitation"),
        },
    )
