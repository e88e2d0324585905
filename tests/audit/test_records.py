"""The account-events page (操作日志): the active company's audit events, for owners and
administrators. The stamping records (用印记录) are the evidence app's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chop.audit.events import record
from chop.audit.models import AuditEvent
from chop.orgs.models import Role


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OWNER, 200),
        (Role.ADMIN, 200),
        (Role.SEAL_KEEPER, 403),
        (Role.SEAL_APPROVER, 403),
        (Role.SEAL_USER, 403),
        (Role.MEMBER, 403),
    ],
)
def test_records_are_for_owners_and_admins(team, login, role, status):
    record("company.created", actor=team["users"][Role.OWNER], company=team["company"])
    resp = login(team["users"][role], team["company"]).get(reverse("records"))
    assert resp.status_code == status
    assert (resp.context.get("page") is not None) is (status == 200)


def test_records_show_only_the_active_company(team, login, make_company):
    other = make_company("别家公司")
    record("company.created", company=team["company"], obj=team["company"])
    record("company.created", company=other, obj=other)
    resp = login(team["users"][Role.ADMIN], team["company"]).get(reverse("records"))
    html = resp.content.decode()
    assert [e.company for e in resp.context["page"].object_list] == [team["company"]]
    assert "别家公司" not in html
    # and the page points to the stamping records, a separate tab
    assert reverse("stamp_records") in html and 'data-testid="tab-stamps"' in html


def test_records_filter_by_action_and_paginate(team, login):
    company = team["company"]
    for i in range(30):
        record("member.role_changed", company=company, old="member", new="seal_user", n=i)
    record("company.created", company=company)
    c = login(team["users"][Role.OWNER], company)

    page1 = c.get(reverse("records"))
    assert page1.context["page"].paginator.count == 31
    assert len(page1.context["page"].object_list) == 25
    assert page1.context["page"].object_list[0].action == "company.created"  # newest first
    page2 = c.get(reverse("records"), {"page": 2})
    assert len(page2.context["page"].object_list) == 6

    only = c.get(reverse("records"), {"action": "company.created"})
    assert [e.action for e in only.context["page"].object_list] == ["company.created"]
    assert [a for a, _label in only.context["actions"]] == [
        "company.created",
        "member.role_changed",
    ]
    assert "action=company.created&amp;page=" not in only.content.decode()  # one page only


def test_records_in_personal_space_point_to_a_company(make_user, login):
    resp = login(make_user()).get(reverse("records"))
    assert resp.status_code == 200 and resp.context["personal"] is True


def test_company_actions_write_events_the_records_page_lists(team, login):
    """The events the orgs views write appear on the page, with readable details."""
    owner = team["users"][Role.OWNER]
    c = login(owner, team["company"])
    target = team["m"][Role.MEMBER]
    c.post(f"/companies/{team['company'].pk}/members/{target.pk}/role/", {"role": Role.SEAL_USER})
    c.post(f"/companies/{team['company'].pk}/members/", {"target": "13500000000", "role": "member"})
    resp = c.get(reverse("records"), HTTP_ACCEPT_LANGUAGE="en")
    actions = [e.action for e in resp.context["page"].object_list]
    assert actions[:2] == ["member.invited", "member.role_changed"]
    role_change = resp.context["page"].object_list[1]
    assert role_change.details == "Member → Seal user"


def test_audit_events_cannot_be_changed_or_deleted(team):
    event = record("company.created", company=team["company"])
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_admin_is_read_only_for_operators(make_user, login, team):
    event = record("company.created", company=team["company"])
    op = make_user("运营", login="op@chop.local", is_staff=True, is_superuser=True)
    c = login(op)
    assert c.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert c.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert (
        c.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_company_admin_is_view_only(make_user, login, team):
    """Company changes must go through the audited services, so the admin cannot edit them."""
    op = make_user("运营", login="op@chop.local", is_staff=True, is_superuser=True)
    c = login(op)
    company = team["company"]
    page = c.get(reverse("admin:orgs_company_change", args=[company.pk]))
    assert page.status_code == 200 and "团队公司" in page.content.decode()
    c.post(
        reverse("admin:orgs_company_change", args=[company.pk]),
        {"name": "改名", "status": "verified"},
    )
    company.refresh_from_db()
    assert (company.name, company.status) == ("团队公司", "unverified")
    assert c.get(reverse("admin:orgs_membership_add")).status_code == 403
    inv_list = c.get(reverse("admin:orgs_invitation_changelist"))
    assert inv_list.status_code == 200
