"""Creating companies and switching between the personal space and company spaces."""

from __future__ import annotations

from django.urls import reverse

from chop.audit.models import AuditEvent
from chop.orgs.access import SESSION_KEY
from chop.orgs.models import Company, Membership, Role


def test_create_company_makes_creator_owner_unverified_and_active(make_user, login):
    user = make_user("张伟")
    c = login(user)
    resp = c.post("/companies/new/", {"name": "  上海示例科技有限公司 "})
    assert resp.status_code == 302 and resp["Location"] == "/"
    company = Company.objects.get()
    assert company.name == "上海示例科技有限公司"
    assert company.status == Company.Status.UNVERIFIED
    assert company.created_by == user
    m = Membership.objects.get(company=company)
    assert (m.user, m.role) == (user, Role.OWNER)
    event = AuditEvent.objects.get(action="company.created")
    assert (event.actor, event.company, event.object_id) == (user, company, str(company.pk))
    assert c.session[SESSION_KEY] == company.pk
    page = c.get("/").content.decode()
    assert "上海示例科技有限公司" in page
    assert f'href="/companies/{company.pk}/verify/"' in page  # the verify call-to-action


def test_create_company_rejects_blank_name(make_user, login):
    c = login(make_user())
    resp = c.post("/companies/new/", {"name": "  "})
    assert resp.status_code == 200
    assert not Company.objects.exists()


def test_verify_call_to_action_opens_verification_for_that_company(make_user, make_company, login):
    """Owners and admins are taken to enterprise verification with this company made active."""
    member = make_user("成员")
    owner = make_user("老板")
    company = make_company(owner=owner, members={member: Role.MEMBER})
    other = make_company("另一家", owner=owner)
    c = login(owner, other)
    resp = c.get(f"/companies/{company.pk}/verify/")
    assert resp.status_code == 302 and resp["Location"] == reverse("verification:company")
    assert c.session[SESSION_KEY] == company.pk
    assert login(member).get(f"/companies/{company.pk}/verify/").status_code == 403


def test_switch_between_personal_and_company_spaces(make_user, make_company, login):
    user = make_user("张伟")
    a = make_company("甲公司", owner=user)
    b = make_company("乙公司", members={user: Role.MEMBER})
    c = login(user)
    assert c.get("/").wsgi_request.company is None

    resp = c.post("/spaces/switch/", {"space": str(b.pk), "next": "/members/"})
    assert resp.status_code == 302 and resp["Location"] == "/members/"
    r = c.get("/")
    assert r.wsgi_request.company == b
    assert r.wsgi_request.membership.role == Role.MEMBER
    assert "乙公司" in r.content.decode()

    c.post("/spaces/switch/", {"space": str(a.pk)})
    assert c.get("/").wsgi_request.company == a
    c.post("/spaces/switch/", {"space": "personal"})
    assert c.get("/").wsgi_request.company is None

    events = AuditEvent.objects.filter(action="space.switched").order_by("id")
    assert [e.data["to"] for e in events] == [b.pk, a.pk, "personal"]
    assert events[0].company == b


def test_cannot_switch_to_a_company_you_are_not_in(make_user, make_company, login):
    user = make_user()
    other = make_company("别人的公司")
    c = login(user)
    assert c.post("/spaces/switch/", {"space": str(other.pk)}).status_code == 404
    assert c.post("/spaces/switch/", {"space": "junk"}).status_code == 404
    assert SESSION_KEY not in c.session
    assert c.get("/spaces/switch/").status_code == 405


def test_switch_ignores_foreign_next_urls(make_user, make_company, login):
    user = make_user()
    company = make_company(owner=user)
    c = login(user)
    resp = c.post("/spaces/switch/", {"space": str(company.pk), "next": "https://evil.example/"})
    assert resp["Location"] == "/"
    # a page of the previous company is not carried over into the new space
    resp = c.post("/spaces/switch/", {"space": "personal", "next": f"/companies/{company.pk}/"})
    assert resp["Location"] == "/"


def test_middleware_drops_a_company_the_user_has_left(make_user, make_company, login):
    user = make_user()
    company = make_company(members={user: Role.MEMBER})
    c = login(user, company)
    assert c.get("/").wsgi_request.company == company
    Membership.objects.filter(company=company, user=user).delete()
    r = c.get("/")
    assert r.wsgi_request.company is None and r.wsgi_request.membership is None
    assert SESSION_KEY not in c.session


def test_forged_session_company_is_not_honoured(make_user, make_company, login):
    outsider = make_user()
    company = make_company("乙公司")
    c = login(outsider, company)  # session names a company the user is not in
    r = c.get("/")
    assert r.wsgi_request.company is None
    assert "乙公司" not in r.content.decode()


def test_personal_workbench_lists_companies_and_switcher(make_user, make_company, login):
    user = make_user("张伟")
    make_company("甲公司", owner=user)
    make_company("乙公司", members={user: Role.SEAL_KEEPER})
    html = login(user).get("/").content.decode()
    assert html.count('name="space" value="') >= 5  # personal + 2 in switcher + 2 in the list
    assert "甲公司" in html and "乙公司" in html


def test_workbench_counts_are_real(make_user, make_company, login):
    owner = make_user()
    company = make_company(owner=owner, members={make_user(): Role.MEMBER})
    c = login(owner, company)
    c.post(f"/companies/{company.pk}/members/", {"target": "13700000001", "role": "member"})
    r = c.get("/")
    ctx = r.context
    assert ctx["member_count"] == 2
    assert ctx["pending_invitations"] == 1
    assert ctx["events_this_week"] == 1  # member.invited (the fixture wrote no events)
