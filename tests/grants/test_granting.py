"""Granting a seal, revoking a grant and setting approvers (chop.grants.granting): every check,
the audit records, the notices, and that a revoked grant stops working in ``may_stamp`` at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from chop.accounts import outbox
from chop.audit.models import AuditEvent
from chop.grants import granting
from chop.grants.models import GRANT_MAX_DAYS, ApprovalRule, Grant
from chop.orgs.models import Role
from chop.orgs.permissions import Actor, may_stamp
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


def _grant(w, **kw):
    args = {
        "by": w["users"][Role.SEAL_KEEPER],
        "members": [w["users"][Role.MEMBER]],
        "ends_at": timezone.now() + dt.timedelta(days=30),
    }
    args.update(kw)
    return granting.grant(w["seal"], **args)


def _stamp(w, role):
    return may_stamp(Actor.person(w["users"][role], w["m"][role]), w["seal"], w["contract"])


def _errors(exc_info) -> dict:
    return exc_info.value.message_dict


# --- creating ---------------------------------------------------------------------------------


def test_a_keeper_grants_a_member_who_may_then_stamp(
    granting_world, django_capture_on_commit_callbacks
):
    w = granting_world
    member = w["users"][Role.MEMBER]
    assert not _stamp(w, Role.MEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        g = _grant(
            w, contract_types=[" 采购合同 ", "采购合同", "Lease"], max_uses=3, note="  年度  采购 "
        )
    assert g.granted_by == w["users"][Role.SEAL_KEEPER]
    assert g.contract_types == ["采购合同", "Lease"]  # the user's spelling, duplicates dropped
    assert g.note == "年度 采购"
    assert list(g.members.all()) == [member]
    allowed = _stamp(w, Role.MEMBER)
    assert allowed and allowed.kind == "grant" and allowed.authorisation.pk == g.pk
    event = AuditEvent.objects.get(action="grant.created", object_id=str(g.pk))
    assert event.actor == w["users"][Role.SEAL_KEEPER] and event.company == w["company"]
    assert event.data["seal"] == w["seal"].code and event.data["max_uses"] == 3
    sent = outbox.messages(member.login)
    assert len(sent) == 1 and w["seal"].code in sent[0]["body"]
    assert "/grants/" in sent[0]["body"]


def test_a_role_grant_tells_the_current_holders(granting_world, django_capture_on_commit_callbacks):
    w = granting_world
    with django_capture_on_commit_callbacks(execute=True):
        _grant(w, members=[], roles=[Role.MEMBER, Role.SEAL_APPROVER])
    told = {e["to"] for e in outbox.messages()}
    assert told == {w["users"][Role.MEMBER].login, w["users"][Role.SEAL_APPROVER].login}
    assert _stamp(w, Role.SEAL_APPROVER).kind == "grant"


def test_a_grant_that_rolls_back_tells_nobody(granting_world, django_capture_on_commit_callbacks):
    w = granting_world
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _grant(w)
        raise RuntimeError
    assert outbox.messages() == []
    assert not Grant.objects.filter(is_default=False).exists()


@pytest.mark.parametrize("role", [Role.SEAL_APPROVER, Role.SEAL_USER, Role.MEMBER])
def test_only_keepers_owners_and_admins_grant(granting_world, role):
    w = granting_world
    with pytest.raises(granting.GrantError):
        _grant(w, by=w["users"][role])
    assert not Grant.objects.filter(is_default=False).exists()


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.SEAL_KEEPER])
def test_owners_admins_and_keepers_grant(granting_world, role):
    assert _grant(granting_world, by=granting_world["users"][role]).pk


def test_an_outsider_cannot_grant(granting_world, make_user):
    with pytest.raises(granting.GrantError):
        _grant(granting_world, by=make_user("外人"))


def test_a_member_of_another_company_cannot_be_granted(granting_world, make_user, make_company):
    w = granting_world
    other = make_user("别家员工")
    make_company("别家公司", members={other: Role.MEMBER})
    with pytest.raises(granting.GrantError) as exc:
        _grant(w, members=[other])
    assert "members" in _errors(exc)


def test_nobody_to_grant_to_and_unknown_roles(granting_world):
    with pytest.raises(granting.GrantError) as exc:
        _grant(granting_world, members=[], roles=[])
    assert "members" in _errors(exc)
    with pytest.raises(granting.GrantError) as exc:
        _grant(granting_world, members=[], roles=["boss"])
    assert "roles" in _errors(exc)


def test_the_validity_window(granting_world):
    w = granting_world
    now = timezone.now()
    with pytest.raises(granting.GrantError) as exc:
        _grant(w, starts_at=now + dt.timedelta(days=2), ends_at=now + dt.timedelta(days=1))
    assert "ends_at" in _errors(exc)
    with pytest.raises(granting.GrantError) as exc:
        _grant(w, ends_at=now - dt.timedelta(minutes=1))  # ends before it could start
    assert "ends_at" in _errors(exc)
    start = now + dt.timedelta(days=1)
    with pytest.raises(granting.GrantError) as exc:
        _grant(w, starts_at=start, ends_at=start + dt.timedelta(days=GRANT_MAX_DAYS, seconds=1))
    assert "ends_at" in _errors(exc)
    longest = _grant(w, starts_at=start, ends_at=start + dt.timedelta(days=GRANT_MAX_DAYS))
    assert longest.state == "pending"
    assert _grant(w, ends_at=None).ends_at is None  # long-term
    backdated = _grant(w, starts_at=now - dt.timedelta(days=30))
    assert backdated.starts_at >= now  # a grant never authorises the past


def test_the_cap_and_the_scope_limits(granting_world):
    w = granting_world
    with pytest.raises(granting.GrantError) as exc:
        _grant(w, max_uses=0)
    assert "max_uses" in _errors(exc)
    with pytest.raises(granting.GrantError) as exc:
        _grant(w, contract_types=[f"类型{i}" for i in range(21)])
    assert "contract_types" in _errors(exc)
    with pytest.raises(granting.GrantError) as exc:
        _grant(w, contract_types=["长" * 65])
    assert "contract_types" in _errors(exc)
    assert (
        len(_grant(w, contract_types=[f"类型{i}" for i in range(20)] + ["类型1"]).contract_types)
        == 20
    )
    with pytest.raises(granting.GrantError) as exc:
        _grant(w, note="注" * 201)
    assert "note" in _errors(exc)


def test_a_disabled_or_personal_seal_is_not_granted(granting_world, make_user):
    from chop.seals import lifecycle
    from chop.seals.models import Seal

    w = granting_world
    lifecycle.change_state(w["seal"], "disable", by=w["users"][Role.OWNER])
    w["seal"].refresh_from_db()
    with pytest.raises(granting.GrantError):
        _grant(w)
    legal_rep = Seal.objects.create(
        company=w["company"],
        owner=w["users"][Role.OWNER],
        kind="legal_rep",
        name="王老板",
        status="active",
        certificate=w["seal"].certificate,
    )
    with pytest.raises(granting.GrantError):
        granting.grant(legal_rep, by=w["users"][Role.OWNER], roles=[Role.MEMBER])


# --- revoking ---------------------------------------------------------------------------------


def test_revoking_stops_the_grant_at_once_even_for_a_seal_already_fetched(
    granting_world, django_capture_on_commit_callbacks
):
    w = granting_world
    g = _grant(w)
    seal = w["seal"]  # fetched before the revoke, as an open signing page holds it
    member, m = w["users"][Role.MEMBER], w["m"][Role.MEMBER]
    assert may_stamp(Actor.person(member, m), seal, w["contract"]).kind == "grant"
    with django_capture_on_commit_callbacks(execute=True):
        granting.revoke(Grant.objects.get(pk=g.pk), by=w["users"][Role.ADMIN])
    refused = may_stamp(Actor.person(member, m), seal, w["contract"])
    assert not refused and refused.code == "revoked" and refused.may_request
    event = AuditEvent.objects.get(action="grant.revoked")
    assert event.actor == w["users"][Role.ADMIN] and event.object_id == str(g.pk)
    assert (
        "revoked" in outbox.messages(member.login)[-1]["subject"]
        or "撤销" in outbox.messages(member.login)[-1]["subject"]
    )


def test_revoking_twice_says_so(granting_world):
    w = granting_world
    g = _grant(w)
    granting.revoke(g, by=w["users"][Role.SEAL_KEEPER])
    with pytest.raises(granting.GrantError) as exc:
        granting.revoke(Grant.objects.get(pk=g.pk), by=w["users"][Role.SEAL_KEEPER])
    assert "already revoked" in " ".join(exc.value.messages) or "已撤销" in " ".join(
        exc.value.messages
    )
    assert AuditEvent.objects.filter(action="grant.revoked").count() == 1


def test_an_expired_grant_is_not_revoked(granting_world):
    w = granting_world
    g = _grant(w)
    Grant.objects.filter(pk=g.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=3),
        ends_at=timezone.now() - dt.timedelta(days=1),
    )
    with pytest.raises(granting.GrantError):
        granting.revoke(Grant.objects.get(pk=g.pk), by=w["users"][Role.SEAL_KEEPER])
    assert Grant.objects.get(pk=g.pk).revoked_at is None


def test_a_member_cannot_revoke(granting_world):
    w = granting_world
    g = _grant(w)
    with pytest.raises(granting.GrantError):
        granting.revoke(g, by=w["users"][Role.MEMBER])
    assert Grant.objects.get(pk=g.pk).revoked_at is None


@pytest.mark.django_db(transaction=True)
def test_two_revokes_at_once_record_one(granting_world):
    w = granting_world
    g = _grant(w)
    revokers = [w["users"][Role.SEAL_KEEPER], w["users"][Role.ADMIN]]

    def revoke(i):
        return granting.revoke(Grant.objects.get(pk=g.pk), by=revokers[i])

    results = at_once(2, revoke)
    assert sum(isinstance(r, Grant) for r in results) == 1
    assert sum(isinstance(r, granting.GrantError) for r in results) == 1
    assert AuditEvent.objects.filter(action="grant.revoked").count() == 1


def test_the_default_grant_is_not_made_again_after_revoking_it(granting_world):
    from chop.seals import lifecycle

    w = granting_world
    default = Grant.objects.get(seal=w["seal"], is_default=True)
    assert _stamp(w, Role.SEAL_USER).kind == "grant"
    granting.revoke(default, by=w["users"][Role.OWNER])
    lifecycle.change_state(w["seal"], "disable", by=w["users"][Role.OWNER])
    seal = lifecycle.change_state(w["seal"], "enable", by=w["users"][Role.OWNER])
    assert seal.status == "active"
    assert Grant.objects.filter(seal=seal).count() == 1
    assert Grant.objects.get(seal=seal).revoked_at is not None
    refused = may_stamp(
        Actor.person(w["users"][Role.SEAL_USER], w["m"][Role.SEAL_USER]), seal, w["contract"]
    )
    assert refused.code == "revoked"


# --- approvers --------------------------------------------------------------------------------


def test_setting_approvers(granting_world):
    w = granting_world
    approvers = [w["users"][Role.SEAL_APPROVER], w["users"][Role.ADMIN]]
    rule = granting.set_approvers(
        w["seal"], by=w["users"][Role.SEAL_KEEPER], approvers=approvers, mode="all"
    )
    assert set(rule.approvers.all()) == set(approvers) and rule.mode == "all"
    event = AuditEvent.objects.get(action="seal.approvers_changed")
    assert event.object_id == str(w["seal"].pk) and event.data["mode"] == "all"
    rule = granting.set_approvers(w["seal"], by=w["users"][Role.OWNER], approvers=[], mode="any")
    assert ApprovalRule.objects.count() == 1 and list(rule.approvers.all()) == []


def test_approvers_must_be_able_to_approve(granting_world):
    w = granting_world
    with pytest.raises(granting.GrantError) as exc:
        granting.set_approvers(
            w["seal"],
            by=w["users"][Role.SEAL_KEEPER],
            approvers=[w["users"][Role.SEAL_USER]],
            mode="any",
        )
    assert "approvers" in _errors(exc)
    with pytest.raises(granting.GrantError) as exc:
        granting.set_approvers(
            w["seal"], by=w["users"][Role.SEAL_KEEPER], approvers=[], mode="most"
        )
    assert "mode" in _errors(exc)
    with pytest.raises(granting.GrantError):
        granting.set_approvers(
            w["seal"], by=w["users"][Role.SEAL_APPROVER], approvers=[], mode="any"
        )
    assert not ApprovalRule.objects.exists()


def test_the_records_page_names_the_seal_and_the_grantees(granting_world):
    from django.utils import translation

    from chop.orgs.record_labels import action_label, event_details

    w = granting_world
    g = _grant(w, roles=[Role.SEAL_USER])
    event = AuditEvent.objects.get(action="grant.created", object_id=str(g.pk))
    with translation.override("zh-hans"):
        line = event_details(event.action, event.data)
        assert action_label("grant.created") == "印章已授权"
    assert w["seal"].code in line
    assert w["users"][Role.MEMBER].display_name in line and "用印人" in line
