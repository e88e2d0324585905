"""Changing a draft's details (title, number, type, deadline, order, copy recipients): the page
and the API save them the same way."""

from __future__ import annotations

from django.db import transaction

from chop.audit.events import record

from .models import Contract
from .states import lock_contract


def save_details(contract: Contract, form, *, request=None) -> Contract | None:
    """Save a valid ``DraftForm``'s fields on ``contract`` under its row lock, auditing the
    changed fields; ``None`` (nothing written) when it is no longer a draft by then."""
    with transaction.atomic():
        locked = lock_contract(contract.pk)
        if locked.state != Contract.State.DRAFT:
            return None
        changed = list(form.changed_data)
        for field in form.Meta.fields:
            setattr(locked, field, form.cleaned_data[field])
        locked.save()
        if changed:
            record(
                "contract.updated",
                request=request,
                company=locked.company,
                obj=locked,
                fields=changed,
            )
    return locked
