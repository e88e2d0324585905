"""Every decision in chop.orgs.permissions, as tables over the roles.

Each table is the rule written out: a change to a rule must change a row here.
"""

from __future__ import annotations

import pytest

from chop.orgs import permissions as p
from chop.orgs.models import Membership, Role

O, A, K, P, U, M = (  # noqa: E741 - one letter per role keeps the tables readable
    Role.OWNER,
    Role.ADMIN,
    Role.SEAL_KEEPER,
    Role.SEAL_APPROVER,
    Role.SEAL_USER,
    Role.MEMBER,
)
ALL = [O, A, K, P, U, M]


def m(role: str, pk: int = 1, company_id: int = 1) -> Membership:
    """An unsaved membership: the permission functions look only at role, pk and company."""
    return Membership(pk=pk, company_id=company_id, role=role)


# --- single-membership decisions: role → allowed ---------------------------------------------------

SINGLE = {
    "is_manager": {O, A},
    "can_view_company": set(ALL),
    "can_view_members": set(ALL),
    "can_invite": {O, A},
    "can_cancel_invitation": {O, A},
    "can_view_records": {O, A},
    "can_start_verification": {O, A},
    "can_manage_seals": {O, A, K},
    "can_approve_seal_use": {O, A, P},
    "can_stamp_without_approval": {O, A, K, U},
    "can_make_seal": {O, A, K},
    "can_monitor_stamps": {O, A, K},
}


@pytest.mark.parametrize(
    ("func", "role", "expected"),
    [(f, r, r in allowed) for f, allowed in SINGLE.items() for r in ALL],
)
def test_single_membership_decisions(func: str, role: str, expected: bool) -> None:
    assert getattr(p, func)(m(role)) is expected


@pytest.mark.parametrize("func", sorted(SINGLE))
def test_non_members_may_do_nothing(func: str) -> None:
    assert getattr(p, func)(None) is False


@pytest.mark.parametrize(
    ("role", "expected"),
    [(O, [A, K, P, U, M]), (A, [K, P, U, M]), (K, []), (P, []), (U, []), (M, []), (None, [])],
)
def test_assignable_roles(role, expected) -> None:
    assert p.assignable_roles(m(role) if role else None) == expected


@pytest.mark.parametrize(
    ("actor", "role", "expected"),
    [
        (O, A, True),
        (O, M, True),
        (O, O, False),  # ownership moves only by transfer
        (A, M, True),
        (A, K, True),
        (A, A, False),  # only the owner makes administrators
        (A, O, False),
        (K, M, False),
        (M, M, False),
    ],
)
def test_can_invite_as(actor, role, expected) -> None:
    assert p.can_invite_as(m(actor), role) is expected


# --- two-membership decisions: (actor role, target role) → allowed ---------------------------------

# Removing someone else. Rows: actor; columns: target in ALL order.
REMOVE_OTHER = {
    O: [False, True, True, True, True, True],
    A: [False, False, True, True, True, True],
    K: [False] * 6,
    P: [False] * 6,
    U: [False] * 6,
    M: [False] * 6,
}


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [(a, t, row[i]) for a, row in REMOVE_OTHER.items() for i, t in enumerate(ALL)],
)
def test_can_remove_other_member(actor, target, expected) -> None:
    assert p.can_remove_member(m(actor, pk=1), m(target, pk=2)) is expected


@pytest.mark.parametrize(("role", "expected"), [(r, r != O) for r in ALL])
def test_anyone_but_the_owner_may_leave(role, expected) -> None:
    me = m(role, pk=7)
    assert p.can_remove_member(me, me) is expected


def test_no_decision_crosses_companies() -> None:
    owner_elsewhere = m(O, pk=1, company_id=2)
    target = m(M, pk=2, company_id=1)
    assert not p.can_remove_member(owner_elsewhere, target)
    assert not p.can_change_role(owner_elsewhere, target, A)
    assert not p.can_transfer_ownership(owner_elsewhere, target)
    assert not p.can_remove_member(None, target)


# Changing someone else's role: (actor, target, new role) → allowed.
ROLE_CHANGES = [
    (O, A, M, True),
    (O, M, A, True),
    (O, K, U, True),
    (O, M, O, False),  # never to owner: that is a transfer
    (O, M, "superuser", False),  # not a role at all
    (A, M, K, True),
    (A, K, P, True),
    (A, M, A, False),  # administrators do not create administrators
    (A, A, M, False),  # nor demote each other
    (A, O, M, False),
    (K, M, U, False),
    (P, M, U, False),
    (U, M, K, False),
    (M, U, M, False),
]


@pytest.mark.parametrize(("actor", "target", "new", "expected"), ROLE_CHANGES)
def test_can_change_role(actor, target, new, expected) -> None:
    assert p.can_change_role(m(actor, pk=1), m(target, pk=2), new) is expected


@pytest.mark.parametrize("role", ALL)
def test_nobody_changes_their_own_role(role) -> None:
    me = m(role, pk=3)
    assert not any(p.can_change_role(me, me, new) for new in ALL)
    assert not p.can_change_any_role(me, me)


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [(a, t, a == O and t != O) for a in ALL for t in ALL],
)
def test_can_transfer_ownership(actor, target, expected) -> None:
    assert p.can_transfer_ownership(m(actor, pk=1), m(target, pk=2)) is expected


def test_owner_cannot_transfer_to_themselves() -> None:
    me = m(O, pk=1)
    assert not p.can_transfer_ownership(me, me)


@pytest.mark.parametrize(
    ("authenticated", "active", "staff", "expected"),
    [
        (True, True, True, True),
        (True, True, False, False),
        (True, False, True, False),
        (False, True, True, False),
    ],
)
def test_is_operator(authenticated, active, staff, expected) -> None:
    class Person:
        is_authenticated = authenticated
        is_active = active
        is_staff = staff

    assert p.is_operator(Person()) is expected


@pytest.mark.django_db
def test_operator_console_asks_the_permissions_module(monkeypatch) -> None:
    """The console's gate is ``permissions.is_operator``, not a second copy of the rule."""
    from django.test import Client

    from chop.accounts.models import User

    user = User.objects.create_user("13800009999", "pw-unused-123", name="Staff Not")
    client = Client()
    client.force_login(user)
    assert client.get("/operator/").status_code == 404
    monkeypatch.setattr(p, "is_operator", lambda u: u.pk == user.pk)
    assert client.get("/operator/").status_code == 200


# --- seals: state changes and the official seal generated again ------------------------------------


class _Seal:
    """Just what the seal decisions read."""

    def __init__(self, company_id=None, owner_id=None):
        self.company_id, self.owner_id = company_id, owner_id


class _User:
    def __init__(self, pk):
        self.pk = pk


@pytest.mark.parametrize(("role", "expected"), [(r, r in {O, A, K}) for r in ALL])
def test_can_change_seal_state_of_a_company_seal(role, expected) -> None:
    seal = _Seal(company_id=1)
    assert p.can_change_seal_state(m(role), seal, _User(9)) is expected
    # never another company's seal, whatever the role
    assert p.can_change_seal_state(m(role, company_id=2), seal, _User(9)) is False


def test_can_change_seal_state_of_a_personal_seal_only_its_owner() -> None:
    seal = _Seal(owner_id=7)
    assert p.can_change_seal_state(None, seal, _User(7)) is True
    assert p.can_change_seal_state(None, seal, _User(8)) is False
    assert p.can_change_seal_state(m(O), seal, _User(8)) is False  # a company role gives nothing
    assert p.can_change_seal_state(None, _Seal(company_id=1), _User(7)) is False


@pytest.mark.parametrize(
    ("role", "status", "expected"),
    [(r, st, r in {O, A, K} and st == "verified") for r in ALL for st in ("verified", "pending")],
)
def test_can_regenerate_official_seal(role, status, expected) -> None:
    from chop.orgs.models import Company

    membership = m(role)
    membership.company = Company(pk=1, name="x", status=status)
    assert p.can_regenerate_official_seal(membership) is expected
    assert p.can_regenerate_official_seal(None) is False
