"""The seal lifecycle service: allowed moves, reasons, the official-seal replacement, audit."""

from __future__ import annotations

import pytest

from chop.audit.models import AuditEvent
from chop.seals.lifecycle import SealStateError, change_state, history
from chop.seals.models import Seal

pytestmark = pytest.mark.django_db


def _official(company):
    return Seal.objects.get(company=company, kind="official", status="active")


def test_disable_enable_revoke_are_audited_and_revoked_is_final(verified_company, make_user):
    keeper = make_user("keeper")
    seal = _official(verified_company())
    assert seal.usable_for_stamping
    seal = change_state(seal, "disable", by=keeper)
    assert seal.status == "disabled" and not seal.usable_for_stamping
    assert not Seal.objects.usable().filter(pk=seal.pk).exists()
    seal = change_state(seal, "enable", by=keeper)
    assert Seal.objects.usable().filter(pk=seal.pk).exists()
    with pytest.raises(SealStateError) as err:
        change_state(seal, "revoke", by=keeper, reason="   ")
    assert err.value.code == "reason_required"
    seal = change_state(seal, "revoke", by=keeper, reason="lost the key")
    assert seal.status == "revoked" and seal.revoked_at and seal.status_reason == "lost the key"
    for action in ("enable", "disable", "approve", "revoke"):
        with pytest.raises(SealStateError) as err:
            change_state(seal, action, by=keeper, reason="x")
        assert err.value.code == "wrong_state"
    actions = [e.action for e in history(seal)]
    assert actions == ["seal.created", "seal.disabled", "seal.enabled", "seal.revoked"]
    assert AuditEvent.objects.get(action="seal.revoked").data["reason"] == "lost the key"


def test_a_stale_page_cannot_move_a_seal_twice(verified_company, make_user):
    seal = _official(verified_company())
    stale = Seal.objects.get(pk=seal.pk)
    change_state(seal, "disable", by=None)
    with pytest.raises(SealStateError):
        change_state(stale, "disable", by=None)
    assert AuditEvent.objects.filter(action="seal.disabled").count() == 1


def test_approving_an_uploaded_official_seal_revokes_the_old_one(verified_company, make_user):
    company = verified_company()
    old = _official(company)
    upload = Seal.objects.create(
        company=company, kind="official", name=company.name, origin="uploaded"
    )
    operator = make_user("operator", is_staff=True)
    new = change_state(upload, "approve", by=operator)
    old.refresh_from_db()
    assert (new.status, old.status) == ("active", "revoked")
    assert new.reviewed_by == operator and new.reviewed_at is not None
    event = AuditEvent.objects.get(action="seal.approved")
    assert event.data["replaces"] == old.code


def test_reject_needs_a_reason_and_only_from_pending(verified_company):
    company = verified_company()
    upload = Seal.objects.create(company=company, kind="contract", name="x", origin="uploaded")
    with pytest.raises(SealStateError):
        change_state(upload, "reject", by=None)
    rejected = change_state(upload, "reject", by=None, reason="blurry photo")
    assert rejected.status == "revoked" and rejected.status_reason == "blurry photo"
    with pytest.raises(SealStateError):
        change_state(_official(company), "reject", by=None, reason="x")


def test_approving_an_upload_also_revokes_a_disabled_official_seal(verified_company):
    company = verified_company()
    old = change_state(_official(company), "disable", by=None)
    upload = Seal.objects.create(
        company=company, kind="official", name=company.name, origin="uploaded"
    )
    change_state(upload, "approve", by=None)
    old.refresh_from_db()
    assert old.status == "revoked" and old.status_reason == "replaced by an approved upload"


def test_enabling_a_second_active_official_seal_is_refused_in_words(verified_company):
    """The database allows one active official seal; a move that would break it is a
    SealStateError (shown to the user), not a 500, and changes nothing."""
    company = verified_company()
    active = _official(company)
    second = Seal.objects.create(
        company=company, kind="official", name=company.name, status="disabled"
    )
    with pytest.raises(SealStateError) as err:
        change_state(second, "enable", by=None)
    assert err.value.code == "one_active"
    second.refresh_from_db()
    assert second.status == "disabled" and _official(company) == active
    assert not AuditEvent.objects.filter(action="seal.enabled").exists()
