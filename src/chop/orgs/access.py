"""Resolving the company a request may act on. Every company view goes through here.

``get_company_for`` is the single door: it returns the company together with the requester's
membership, or raises 404 when they are not a member, so a company's existence is not even
confirmed to outsiders, and every later query can be scoped to ``company``.

Pages named by an object id (a seal, a company) may be opened from a link while another space is
active; ``reachable`` scopes their look-up to the user's spaces and ``enter_space`` switches to the
object's space, so links work after a login (which starts in the personal space) and outsiders
still get 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest

from .models import Company, Membership

SESSION_KEY = "chop_active_company"


def get_company_for(request: HttpRequest, company_id: int) -> tuple[Company, Membership]:
    """The company ``company_id`` and the signed-in user's membership in it, or 404."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("company", "user")
        .filter(company_id=company_id, user=user)
        .first()
    )
    if membership is None:
        raise Http404
    return membership.company, membership


def membership_in(user, company_id: int | None) -> Membership | None:
    """``user``'s membership in the company ``company_id``; None for no company, an anonymous
    user, or someone who is not a member (which every permission function reads as "no")."""
    if company_id is None or user is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, company_id=company_id).first()


def active_membership(request: HttpRequest) -> Membership | None:
    """The membership for the company stored as active in the session, if the user still has it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    company_id = request.session.get(SESSION_KEY)
    if company_id is None:
        return None
    membership = (
        Membership.objects.select_related("company")
        .filter(company_id=company_id, user=user)
        .first()
    )
    if membership is None:
        # Removed from the company (or the company is gone) since switching: back to personal.
        request.session.pop(SESSION_KEY, None)
    return membership


def set_active_company(request: HttpRequest, company: Company | None) -> None:
    if company is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = company.pk


def reachable(user) -> Q:
    """Objects with a ``company`` (and optionally an ``owner``) the user may open in some space:
    a company they are a member of, or a personal object of theirs (no company)."""
    return Q(company__in=Membership.objects.filter(user=user).values("company")) | Q(
        company__isnull=True, owner=user
    )


def enter_space(
    request: HttpRequest,
    company: Company | None,
    membership: Membership | None = None,
    *,
    via: str = "link",
) -> None:
    """Make ``company`` (``None``: the personal space) the active space, for a page whose object
    lives there: a bookmarked link to a seal of the user's company, opened after a login that starts
    in the personal space, shows the seal in its company instead of a 404.

    The caller has already established that the user may be in that space (a membership, or the
    object is their own); outsiders never get here, so nothing leaks. A real change of space is
    recorded as ``space.switched`` like the switcher's, and ``request.company``/``membership``
    follow, so the page renders in the new space.
    """
    previous = getattr(request, "company", None)
    if (previous.pk if previous else None) == (company.pk if company else None):
        return
    if company is not None and (membership is None or membership.company_id != company.pk):
        company, membership = get_company_for(request, company.pk)
    set_active_company(request, company)
    request.company = company  # type: ignore[attr-defined]
    request.membership = membership  # type: ignore[attr-defined]
    from django.contrib import messages
    from django.utils.translation import gettext as _

    from chop.audit.events import record

    if company is not None:
        note = _("This page belongs to %(company)s, which is now your active space.") % {
            "company": company.name
        }
    else:
        note = _("This page belongs to your personal space, which is now your active space.")
    messages.info(request, note)
    record(
        "space.switched",
        request=request,
        company=company or previous,
        to=company.pk if company else "personal",
        via=via,
        **{"from": previous.pk if previous else "personal"},
    )


def user_decision_or_404(decision: str) -> Callable:
    """A view decorator: signed in, and ``permissions.<decision>(request.user)`` true, or 404 —
    so staff consoles are not even confirmed to others. The function is looked up by name on
    every request: the rule lives in ``orgs.permissions`` alone (and tests can replace it)."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any):
            from . import permissions

            if not getattr(permissions, decision)(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
