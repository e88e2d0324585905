"""Removing members, leaving, changing roles and transferring ownership, through the views."""

from __future__ import annotations

import pytest

from chop.audit.models import AuditEvent
from chop.orgs.access import SESSION_KEY
from chop.orgs.models import Membership, Role


def url(team, action: str, role: str) -> str:
    return f"/companies/{team['company'].pk}/members/{team['m'][role].pk}/{action}/"


def still_member(team, role: str) -> bool:
    return Membership.objects.filter(pk=team["m"][role].pk).exists()


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        (Role.OWNER, Role.ADMIN, True),
        (Role.OWNER, Role.MEMBER, True),
        (Role.ADMIN, Role.SEAL_KEEPER, True),
        (Role.ADMIN, Role.OWNER, False),
        (Role.SEAL_KEEPER, Role.MEMBER, False),
        (Role.MEMBER, Role.SEAL_USER, False),
    ],
)
def test_remove_member(team, login, actor, target, allowed):
    c = login(team["users"][actor], team["company"])
    resp = c.post(url(team, "remove", target))
    assert resp.status_code == (302 if allowed else 403)
    assert still_member(team, target) is not allowed
    events = AuditEvent.objects.filter(action="member.removed")
    assert events.count() == (1 if allowed else 0)
    if allowed:
        assert events.get().data["role"] == target


def test_admin_cannot_remove_another_admin(team, login, make_user):
    other_admin = make_user("另一位管理员")
    m = Membership.objects.create(company=team["company"], user=other_admin, role=Role.ADMIN)
    c = login(team["users"][Role.ADMIN], team["company"])
    assert c.post(f"/companies/{team['company'].pk}/members/{m.pk}/remove/").status_code == 403


def test_member_leaves_and_loses_the_space(team, login):
    c = login(team["users"][Role.MEMBER], team["company"])
    resp = c.post(url(team, "remove", Role.MEMBER))
    assert resp.status_code == 302
    assert not still_member(team, Role.MEMBER)
    assert SESSION_KEY not in c.session
    assert AuditEvent.objects.get(action="member.removed").data["left"] is True
    assert c.get(f"/companies/{team['company'].pk}/").status_code == 404


def test_owner_cannot_leave_or_be_removed(team, login):
    c = login(team["users"][Role.OWNER], team["company"])
    assert c.post(url(team, "remove", Role.OWNER)).status_code == 403
    assert still_member(team, Role.OWNER)


def test_remove_is_post_only(team, login):
    c = login(team["users"][Role.OWNER], team["company"])
    assert c.get(url(team, "remove", Role.MEMBER)).status_code == 405
    assert still_member(team, Role.MEMBER)


@pytest.mark.parametrize(
    ("actor", "target", "new", "allowed"),
    [
        (Role.OWNER, Role.MEMBER, Role.ADMIN, True),
        (Role.OWNER, Role.ADMIN, Role.SEAL_USER, True),
        (Role.OWNER, Role.MEMBER, Role.OWNER, False),
        (Role.ADMIN, Role.MEMBER, Role.SEAL_APPROVER, True),
        (Role.ADMIN, Role.MEMBER, Role.ADMIN, False),
        (Role.ADMIN, Role.OWNER, Role.MEMBER, False),
        (Role.SEAL_KEEPER, Role.MEMBER, Role.SEAL_USER, False),
        (Role.MEMBER, Role.MEMBER, Role.ADMIN, False),  # own role
    ],
)
def test_change_role(team, login, actor, target, new, allowed):
    c = login(team["users"][actor], team["company"])
    resp = c.post(url(team, "role", target), {"role": new})
    assert resp.status_code == (302 if allowed else 403)
    team["m"][target].refresh_from_db()
    assert (team["m"][target].role == new) is allowed
    events = AuditEvent.objects.filter(action="member.role_changed")
    if allowed:
        assert events.get().data == {"old": target, "new": new}
    else:
        assert not events.exists()


def test_transfer_ownership_needs_confirmation(team, login):
    owner, new = team["m"][Role.OWNER], team["m"][Role.SEAL_KEEPER]
    c = login(owner.user, team["company"])
    page = c.get(url(team, "transfer", Role.SEAL_KEEPER))
    assert page.status_code == 200
    resp = c.post(url(team, "transfer", Role.SEAL_KEEPER))  # box not ticked
    assert resp.status_code == 200
    new.refresh_from_db()
    assert new.role == Role.SEAL_KEEPER

    resp = c.post(url(team, "transfer", Role.SEAL_KEEPER), {"confirm": "yes"})
    assert resp.status_code == 302
    owner.refresh_from_db()
    new.refresh_from_db()
    assert (owner.role, new.role) == (Role.ADMIN, Role.OWNER)
    assert team["company"].memberships.filter(role=Role.OWNER).count() == 1
    event = AuditEvent.objects.get(action="company.ownership_transferred")
    assert event.actor == owner.user and event.data["new_owner_previous_role"] == Role.SEAL_KEEPER
    # the former owner is now an admin: no second transfer
    assert c.post(url(team, "transfer", Role.MEMBER), {"confirm": "yes"}).status_code == 403


@pytest.mark.parametrize("actor", [Role.ADMIN, Role.SEAL_KEEPER, Role.MEMBER])
def test_only_the_owner_transfers(team, login, actor):
    c = login(team["users"][actor], team["company"])
    assert c.get(url(team, "transfer", Role.SEAL_USER)).status_code == 403
    assert c.post(url(team, "transfer", Role.SEAL_USER), {"confirm": "yes"}).status_code == 403
    assert team["company"].memberships.get(role=Role.OWNER).user == team["users"][Role.OWNER]


def test_members_page_shows_controls_by_permission(team, login):
    company = team["company"]
    owner_html = (
        login(team["users"][Role.OWNER], company)
        .get(f"/companies/{company.pk}/members/")
        .content.decode()
    )
    member_html = (
        login(team["users"][Role.MEMBER], company)
        .get(f"/companies/{company.pk}/members/")
        .content.decode()
    )
    assert 'id="invite"' in owner_html and 'id="invite"' not in member_html
    assert "/transfer/" in owner_html and "/transfer/" not in member_html
    assert "/role/" in owner_html and "/role/" not in member_html
    # a member sees the list, with other people's logins masked
    assert team["users"][Role.ADMIN].name in member_html
    assert team["users"][Role.ADMIN].login not in member_html


def test_members_nav_redirects_to_active_company(team, login, make_user):
    c = login(team["users"][Role.MEMBER], team["company"])
    resp = c.get("/members/")
    assert resp.status_code == 302
    assert resp["Location"] == f"/companies/{team['company'].pk}/members/"
    assert login(make_user()).get("/members/").status_code == 200
