"""The default grant of a company seal, made the first time the seal is active.

A seal becomes active in several places (generated on verification, made in the studio, an
upload approved by an operator, a legal representative's seal): rather than each of them knowing
about grants (the seals app sits below this one), this receiver watches every save. A seal that
has ever had a grant gets no new default, so a keeper who revoked the default keeps it revoked
when the seal is later disabled and enabled again.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from chop.audit.events import record
from chop.seals.models import Seal

from .models import DEFAULT_GRANT_ROLES, Grant


@receiver(post_save, sender=Seal, dispatch_uid="chop.grants.default_grant")
def default_grant(sender, instance: Seal, raw: bool = False, **kwargs) -> None:
    if raw or instance.company_id is None or instance.owner_id is not None:
        return  # personal seals and a legal representative's seal are their owner's own
    if instance.status != Seal.Status.ACTIVE or instance.certificate_id is None:
        return
    if Grant.objects.filter(seal=instance).exists():
        return
    grant = Grant.objects.create(
        company_id=instance.company_id,
        seal=instance,
        roles=list(DEFAULT_GRANT_ROLES),
        is_default=True,
        granted_by=instance.created_by,
        starts_at=instance.created_at or instance.updated_at,
    )
    record(
        "grant.created",
        actor=None,
        company=instance.company,
        obj=grant,
        seal=instance.code,
        roles=", ".join(grant.roles),
        default=True,
    )
