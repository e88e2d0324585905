"""The operator's review of uploaded seal impressions.

An uploaded seal is pending until a platform operator compares its extracted image with the
company's verified name and approves or rejects it. The decision itself is
``lifecycle.change_state`` (row lock, audit with the company, an approved official seal revokes
the old one in the same transaction); this module only says which seals wait and what the
operator sees beside them.
"""

from __future__ import annotations

from .lifecycle import SealStateError, change_state
from .models import Seal

__all__ = ["SealStateError", "decide", "waiting", "replaced_by"]


def waiting():
    """Uploaded seals whose ink was extracted and that wait for review, oldest first."""
    return (
        Seal.objects.filter(origin=Seal.Origin.UPLOADED, status=Seal.Status.PENDING)
        .exclude(image="")
        .select_related("company", "created_by")
        .order_by("created_at", "pk")
    )


def reviewable():
    """Every uploaded company seal an operator may open (decided or not)."""
    return Seal.objects.filter(origin=Seal.Origin.UPLOADED, company__isnull=False).select_related(
        "company", "created_by", "reviewed_by"
    )


def replaced_by(seal: Seal) -> Seal | None:
    """The active official seal that approving ``seal`` (an uploaded official seal) revokes."""
    if seal.kind != Seal.Kind.OFFICIAL or seal.company_id is None:
        return None
    return (
        Seal.objects.filter(
            company_id=seal.company_id, kind=Seal.Kind.OFFICIAL, status=Seal.Status.ACTIVE
        )
        .exclude(pk=seal.pk)
        .first()
    )


def decide(seal: Seal, *, approve: bool, by, reason: str = "", request=None) -> Seal:
    """Approve or reject an extracted upload; raises :class:`SealStateError` (translated
    ``message``) when the seal has moved meanwhile, is still being extracted, or a rejection
    has no reason."""
    if not seal.image:
        from django.utils.translation import gettext_lazy as _

        raise SealStateError(
            _("The seal is still being extracted from the photo; try again in a moment."),
            code="not_extracted",
        )
    return change_state(
        seal, "approve" if approve else "reject", by=by, reason=reason, request=request
    )
