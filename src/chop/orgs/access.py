"""Resolving the company a request may act on. Every company view goes through here.

``get_company_for`` is the single door: it returns the company together with the requester's
membership, or raises 404 when they are not a member, so a company's existence is not even
confirmed to outsiders, and every later query can be scoped to ``company``.
"""

from __future__ import annotations

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
