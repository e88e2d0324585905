"""Inviting by phone or e-mail, and answering: accept, decline, expired, wrong person, token link."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from chop.audit.models import AuditEvent
from chop.orgs.access import SESSION_KEY
from chop.orgs.models import Invitation, Membership, Role


def outbox() -> list[dict]:
    path = settings.CHOP_OUTBOX
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture
def owner_setup(make_user, make_company, login):
    owner = make_user("张伟")
    company = make_company("上海示例科技有限公司", owner=owner)
    return owner, company, login(owner, company)


@pytest.mark.parametrize(
    ("typed", "channel", "target"),
    [
        ("138 0000 0002", "sms", "13800000002"),
        ("+8613800000002", "sms", "13800000002"),
        ("Li.Na@Example.COM", "email", "li.na@example.com"),
    ],
)
def test_invite_writes_outbox_line_and_audit(owner_setup, typed, channel, target):
    owner, company, c = owner_setup
    resp = c.post(f"/companies/{company.pk}/members/", {"target": typed, "role": Role.SEAL_KEEPER})
    assert resp.status_code == 302
    inv = Invitation.objects.get()
    assert (inv.channel, inv.target, inv.role, inv.invited_by) == (
        channel,
        target,
        Role.SEAL_KEEPER,
        owner,
    )
    assert timedelta(days=6, hours=23) < inv.expires_at - timezone.now() <= timedelta(days=7)
    [line] = outbox()
    assert {"time", "channel", "to", "subject", "body"} <= set(line)
    assert line["channel"] == channel and line["to"] == target
    assert f"/invite/{inv.token}/" in line["body"]
    assert "上海示例科技有限公司" in line["subject"]
    event = AuditEvent.objects.get(action="member.invited")
    assert event.company == company and event.data["role"] == Role.SEAL_KEEPER
    assert inv.token not in json.dumps(event.data)  # the secret link is not in the log


def test_invite_rejects_bad_address_and_existing_member(owner_setup, make_user):
    owner, company, c = owner_setup
    resp = c.post(f"/companies/{company.pk}/members/", {"target": "12345", "role": "member"})
    assert resp.status_code == 200 and "target" in resp.context["invite_form"].errors
    resp = c.post(f"/companies/{company.pk}/members/", {"target": owner.login, "role": "member"})
    assert resp.status_code == 200 and "target" in resp.context["invite_form"].errors
    assert not Invitation.objects.exists() and outbox() == []


def test_invite_role_is_limited_by_permissions(make_user, make_company, login):
    admin = make_user()
    member = make_user()
    company = make_company(members={admin: Role.ADMIN, member: Role.MEMBER})
    url = f"/companies/{company.pk}/members/"
    resp = login(admin, company).post(url, {"target": "13700000009", "role": Role.ADMIN})
    assert resp.status_code == 200 and "role" in resp.context["invite_form"].errors
    assert (
        login(member, company).post(url, {"target": "13700000009", "role": "member"}).status_code
        == 403
    )
    assert not Invitation.objects.exists()


def test_reinviting_cancels_the_previous_link(owner_setup):
    _owner, company, c = owner_setup
    for _ in range(2):
        c.post(f"/companies/{company.pk}/members/", {"target": "13800000002", "role": "member"})
    assert list(Invitation.objects.order_by("id").values_list("status", flat=True)) == [
        "cancelled",
        "pending",
    ]


def invite(c, company, target="13800000002", role=Role.SEAL_KEEPER) -> Invitation:
    c.post(f"/companies/{company.pk}/members/", {"target": target, "role": role})
    return Invitation.objects.get(target=target, status="pending")


def test_invitee_sees_invitation_on_workbench_and_accepts(owner_setup, make_user, login):
    _owner, company, c = owner_setup
    inv = invite(c, company)
    li_na = make_user("李娜", login="13800000002")
    lc = login(li_na)
    assert "上海示例科技有限公司" in lc.get("/").content.decode()
    assert lc.get(f"/invitations/{inv.pk}/accept/").status_code == 405
    resp = lc.post(f"/invitations/{inv.pk}/accept/")
    assert resp.status_code == 302
    m = Membership.objects.get(company=company, user=li_na)
    assert m.role == Role.SEAL_KEEPER
    inv.refresh_from_db()
    assert inv.status == "accepted" and inv.responded_by == li_na
    assert lc.session[SESSION_KEY] == company.pk  # the company becomes the active space
    event = AuditEvent.objects.get(action="invitation.accepted")
    assert event.actor == li_na and event.company == company and event.data["via"] == "address"
    # used once: a second answer is refused
    lc.post(f"/invitations/{inv.pk}/decline/")
    inv.refresh_from_db()
    assert inv.status == "accepted"


def test_invitation_by_email_matches_case_insensitively(owner_setup, make_user, login):
    _owner, company, c = owner_setup
    inv = invite(c, company, target="li.na@example.com")
    user = make_user("李娜", login="LI.NA@example.com")
    login(user).post(f"/invitations/{inv.pk}/accept/")
    assert Membership.objects.filter(company=company, user=user).exists()


def test_decline(owner_setup, make_user, login):
    _owner, company, c = owner_setup
    inv = invite(c, company)
    user = make_user("李娜", login="13800000002")
    login(user).post(f"/invitations/{inv.pk}/decline/")
    inv.refresh_from_db()
    assert inv.status == "declined"
    assert not Membership.objects.filter(company=company, user=user).exists()
    assert AuditEvent.objects.filter(action="invitation.declined", company=company).count() == 1


def test_expired_invitation_cannot_be_accepted(owner_setup, make_user, login):
    _owner, company, c = owner_setup
    inv = invite(c, company)
    Invitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    user = make_user("李娜", login="13800000002")
    lc = login(user)
    assert "上海示例科技有限公司" not in lc.get("/").content.decode()
    resp = lc.post(f"/invitations/{inv.pk}/accept/", follow=True)
    assert resp.status_code == 200
    assert not Membership.objects.filter(company=company, user=user).exists()
    assert lc.post(f"/invite/{inv.token}/", {"action": "accept"}).status_code == 302
    assert not Membership.objects.filter(company=company, user=user).exists()
    assert not AuditEvent.objects.filter(action="invitation.accepted").exists()


def test_wrong_person_gets_404_by_id(owner_setup, make_user, login):
    _owner, company, c = owner_setup
    inv = invite(c, company)
    stranger = make_user("路人", login="13899999999")
    sc = login(stranger)
    assert sc.post(f"/invitations/{inv.pk}/accept/").status_code == 404
    assert sc.post(f"/invitations/{inv.pk}/decline/").status_code == 404
    assert "上海示例科技有限公司" not in sc.get("/").content.decode()
    inv.refresh_from_db()
    assert inv.status == "pending"
    assert not Membership.objects.filter(company=company, user=stranger).exists()


def test_token_link_works_for_the_signed_in_holder(owner_setup, make_user, login):
    _owner, company, c = owner_setup
    inv = invite(c, company, target="someone@example.com")
    # registered with a phone, the invited e-mail is also theirs: the link lets them answer
    user = make_user("王芳", login="13800000003")
    user.email = "someone@example.com"
    user.save(update_fields=["email"])
    uc = login(user)
    page = uc.get(f"/invite/{inv.token}/")
    assert page.status_code == 200 and "上海示例科技有限公司" in page.content.decode()
    uc.post(f"/invite/{inv.token}/", {"action": "accept"})
    assert Membership.objects.get(company=company, user=user).role == Role.SEAL_KEEPER
    assert AuditEvent.objects.get(action="invitation.accepted").data["via"] == "token"


def test_token_link_answers_only_for_the_account_it_was_sent_to(owner_setup, make_user, login):
    """Holding the link is not enough: signed in as someone else, the page says whom it was sent
    to, and neither accepting nor declining does anything."""
    _owner, company, c = owner_setup
    inv = invite(c, company)  # to 13800000002 by SMS
    other = make_user("路人", login="13899999999")
    oc = login(other)
    page = oc.get(f"/invite/{inv.token}/")
    html = page.content.decode()
    assert page.status_code == 403
    assert inv.masked_target in html and "登录" in html and 'value="accept"' not in html
    for action in ("accept", "decline"):
        assert oc.post(f"/invite/{inv.token}/", {"action": action}).status_code == 403
    inv.refresh_from_db()
    assert inv.status == "pending"
    assert not Membership.objects.filter(company=company, user=other).exists()
    assert not AuditEvent.objects.filter(action__startswith="invitation.accepted").exists()


def test_token_link_needs_login_and_a_real_token(owner_setup, make_user, login):
    _owner, company, c = owner_setup
    inv = invite(c, company)
    from django.test import Client

    anon = Client().get(f"/invite/{inv.token}/")
    assert anon.status_code == 302
    assert anon["Location"] == f"/accounts/login/?next=/invite/{inv.token}/"
    assert login(make_user()).get("/invite/not-a-real-token/").status_code == 404


def test_owner_cancels_an_invitation(owner_setup, make_user, login):
    _owner, company, c = owner_setup
    inv = invite(c, company)
    assert c.post(f"/companies/{company.pk}/invitations/{inv.pk}/cancel/").status_code == 302
    inv.refresh_from_db()
    assert inv.status == "cancelled"
    user = make_user(login="13800000002")
    login(user).post(f"/invitations/{inv.pk}/accept/")
    assert not Membership.objects.filter(company=company, user=user).exists()


def test_invitations_are_capped_per_address_and_company(owner_setup, settings):
    _owner, company, c = owner_setup
    url = f"/companies/{company.pk}/members/"
    for _ in range(3):
        assert c.post(url, {"target": "13800000002", "role": "member"}).status_code == 302
    resp = c.post(url, {"target": "13800000002", "role": "member"})
    assert resp.status_code == 200 and "target" in resp.context["invite_form"].errors
    assert len([m for m in outbox() if m["to"] == "13800000002"]) == 3

    settings.CHOP_INVITES_PER_COMPANY_PER_DAY = 4
    assert c.post(url, {"target": "13800000003", "role": "member"}).status_code == 302
    resp = c.post(url, {"target": "13800000004", "role": "member"})
    assert resp.status_code == 200 and "target" in resp.context["invite_form"].errors
    assert Invitation.objects.count() == 4
