"""Template context: the active space and the spaces the user may switch to."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import Membership


def active_space(request: HttpRequest) -> dict:
    """``active_company``/``active_membership`` for every page, and ``my_spaces`` for the switcher.

    ``my_spaces`` is lazy so pages that never show the switcher (none today) cost no query.
    """
    user = getattr(request, "user", None)

    def spaces() -> list[Membership]:
        if user is None or not user.is_authenticated:
            return []
        return list(
            Membership.objects.filter(user=user).select_related("company").order_by("company__name")
        )

    return {
        "active_company": getattr(request, "company", None),
        "active_membership": getattr(request, "membership", None),
        "my_spaces": SimpleLazyObject(spaces),
    }
