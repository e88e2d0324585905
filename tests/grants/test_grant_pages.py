"""The grants pages: a seal's grants, the new-grant form with its errors, the revoke step, the
approvers, and the seal page's grants section. Who sees what, and who may change it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from chop.audit.models import AuditEvent
from chop.grants import granting
from chop.grants.models import ApprovalRule, Grant
from chop.orgs.models import Role

pytestmark = pytest.mark.django_db

FMT = "%Y-%m-%dT%H:%M"


def _client(login, w, role):
    return login(w["users"][role], w["company"])


def _form(w, **kw):
    now = timezone.localtime()
    data = {
        "members": [w["m"][Role.MEMBER].pk],
        "scope": "types",
        "contract_types": "采购合同，租赁合同",
        "starts_at": now.strftime(FMT),
        "ends_at": (now + dt.timedelta(days=90)).strftime(FMT),
        "max_uses": "5",
        "note": "季度采购",
    }
    data.update(kw)
    return data


def test_any_member_sees_the_grants_but_only_keepers_get_the_buttons(granting_world, login):
    w = granting_world
    url = reverse("seal_grants", args=[w["seal"].pk])
    member_page = _client(login, w, Role.MEMBER).get(url)
    assert member_page.status_code == 200
    html = member_page.content.decode()
    assert 'data-state="active"' in html  # the default grant
    assert 'data-testid="revoke"' not in html and 'data-testid="grant-new"' not in html
    keeper_page = _client(login, w, Role.SEAL_KEEPER).get(url).content.decode()
    assert 'data-testid="revoke"' in keeper_page and 'data-testid="grant-new"' in keeper_page
    new_url = reverse("seal_grant_new", args=[w["seal"].pk])
    assert _client(login, w, Role.MEMBER).get(new_url).status_code == 403
    assert _client(login, w, Role.MEMBER).post(new_url, _form(w)).status_code == 403
    assert not Grant.objects.filter(is_default=False).exists()


def test_the_page_lists_every_state_newest_first(granting_world, login):
    w = granting_world
    keeper = w["users"][Role.SEAL_KEEPER]
    now = timezone.now()
    pending = granting.grant(
        w["seal"], by=keeper, roles=[Role.MEMBER], starts_at=now + dt.timedelta(days=2)
    )
    revoked = granting.grant(w["seal"], by=keeper, members=[w["users"][Role.MEMBER]])
    granting.revoke(revoked, by=keeper)
    expired = granting.grant(w["seal"], by=keeper, roles=[Role.SEAL_APPROVER], max_uses=2)
    Grant.objects.filter(pk=expired.pk).update(
        starts_at=now - dt.timedelta(days=9), ends_at=now - dt.timedelta(days=1), uses=1
    )
    html = _client(login, w, Role.MEMBER).get(reverse("seal_grants", args=[w["seal"].pk]))
    html = html.content.decode()
    states = [
        html.split(f'data-grant="{g.pk}" data-state="', 1)[1].split('"', 1)[0]
        for g in (pending, revoked, expired)
    ]
    assert states == ["pending", "revoked", "expired"]
    order = [html.index(f'data-grant="{g.pk}"') for g in (expired, revoked, pending)]
    assert order == sorted(order)  # newest first


def test_granting_through_the_form(granting_world, login):
    w = granting_world
    form_page = _client(login, w, Role.SEAL_KEEPER).get(
        reverse("seal_grant_new", args=[w["seal"].pk])
    )
    datalist = form_page.content.decode().split('<datalist id="contract-types">', 1)[1]
    assert '<option value="采购合同">' in datalist.split("</datalist>", 1)[0]
    response = _client(login, w, Role.SEAL_KEEPER).post(
        reverse("seal_grant_new", args=[w["seal"].pk]), _form(w, roles=[Role.SEAL_APPROVER])
    )
    assert response.status_code == 302
    g = Grant.objects.get(is_default=False)
    assert g.contract_types == ["采购合同", "租赁合同"]
    assert list(g.members.all()) == [w["users"][Role.MEMBER]]
    assert g.roles == [Role.SEAL_APPROVER] and g.max_uses == 5 and g.note == "季度采购"
    assert g.ends_at is not None and g.granted_by == w["users"][Role.SEAL_KEEPER]


def test_a_long_term_grant_for_all_contracts(granting_world, login):
    w = granting_world
    response = _client(login, w, Role.OWNER).post(
        reverse("seal_grant_new", args=[w["seal"].pk]),
        _form(w, scope="all", long_term="on", ends_at="", max_uses=""),
    )
    assert response.status_code == 302
    g = Grant.objects.get(is_default=False)
    assert g.ends_at is None and g.contract_types == [] and g.max_uses is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"members": [], "roles": []}, "members"),
        ({"scope": "types", "contract_types": " ，"}, "contract_types"),
        ({"ends_at": ""}, "ends_at"),
        ({"ends_at": "2020-01-01T00:00"}, "ends_at"),
        ({"max_uses": "0"}, "max_uses"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"contract_types": ",".join(f"t{i}" for i in range(21))}, "contract_types"),
    ],
)
def test_form_errors_are_shown_on_their_field_and_nothing_is_granted(
    granting_world, login, change, field
):
    w = granting_world
    response = _client(login, w, Role.SEAL_KEEPER).post(
        reverse("seal_grant_new", args=[w["seal"].pk]), _form(w, **change)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Grant.objects.filter(is_default=False).exists()


def test_the_three_year_limit_on_the_form(granting_world, login):
    w = granting_world
    start = timezone.localtime() + dt.timedelta(days=1)
    data = _form(
        w,
        starts_at=start.strftime(FMT),
        ends_at=(start + dt.timedelta(days=3 * 366 + 1)).strftime(FMT),
    )
    client = _client(login, w, Role.SEAL_KEEPER)
    response = client.post(reverse("seal_grant_new", args=[w["seal"].pk]), data)
    assert response.status_code == 400 and "ends_at" in response.context["form"].errors
    data["ends_at"] = (start + dt.timedelta(days=3 * 365)).strftime(FMT)
    assert client.post(reverse("seal_grant_new", args=[w["seal"].pk]), data).status_code == 302


def test_errors_are_in_chinese_for_a_chinese_reader(granting_world, login):
    w = granting_world
    client = _client(login, w, Role.SEAL_KEEPER)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(
        reverse("seal_grant_new", args=[w["seal"].pk]), _form(w, members=[], roles=[])
    )
    html = response.content.decode()
    assert "请至少选择一位成员或一个角色" in html


def test_revoking_needs_a_confirmation_step(granting_world, login):
    w = granting_world
    g = granting.grant(w["seal"], by=w["users"][Role.SEAL_KEEPER], roles=[Role.MEMBER])
    url = reverse("seal_grant_revoke", args=[g.pk])
    assert _client(login, w, Role.MEMBER).post(url).status_code == 403
    keeper = _client(login, w, Role.SEAL_KEEPER)
    confirm = keeper.get(url)
    assert confirm.status_code == 200 and 'data-testid="revoke-form"' in confirm.content.decode()
    assert Grant.objects.get(pk=g.pk).revoked_at is None  # GET only asks
    assert keeper.post(url).status_code == 302
    assert Grant.objects.get(pk=g.pk).revoked_at is not None
    again = keeper.post(url, follow=True)
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="grant.revoked").count() == 1
    assert keeper.get(url).status_code == 302  # an ended grant has no confirmation step


def test_approvers_page(granting_world, login):
    w = granting_world
    url = reverse("seal_approvers", args=[w["seal"].pk])
    member = _client(login, w, Role.MEMBER)
    page = member.get(url).content.decode()
    assert 'data-testid="approval-rule"' in page and 'data-testid="approvers-form"' not in page
    assert member.post(url, {"approvers": [], "mode": "any"}).status_code == 403
    keeper = _client(login, w, Role.SEAL_KEEPER)
    form = keeper.get(url).context["form"]
    offered = {m.user for m in form.fields["approvers"].queryset}
    assert offered == {w["users"][r] for r in (Role.OWNER, Role.ADMIN, Role.SEAL_APPROVER)}
    bad = keeper.post(url, {"approvers": [w["m"][Role.SEAL_USER].pk], "mode": "any"})
    assert bad.status_code == 400 and not ApprovalRule.objects.exists()
    ok = keeper.post(
        url, {"approvers": [w["m"][Role.SEAL_APPROVER].pk, w["m"][Role.ADMIN].pk], "mode": "all"}
    )
    assert ok.status_code == 302
    rule = ApprovalRule.objects.get(seal=w["seal"])
    assert rule.mode == "all" and set(rule.approvers.all()) == {
        w["users"][Role.SEAL_APPROVER],
        w["users"][Role.ADMIN],
    }
    grants_page = member.get(reverse("seal_grants", args=[w["seal"].pk])).content.decode()
    assert w["users"][Role.SEAL_APPROVER].display_name in grants_page


def test_the_seal_page_says_whether_the_viewer_holds_a_grant(granting_world, login):
    w = granting_world
    url = reverse("seal_detail", args=[w["seal"].pk])
    user_page = _client(login, w, Role.SEAL_USER).get(url).content.decode()
    assert 'data-testid="seal-grants"' in user_page
    assert reverse("seal_grants", args=[w["seal"].pk]) in user_page
    mine = user_page.split('data-testid="my-grant"', 1)[1].split("</p>", 1)[0]
    assert "badge ok" in mine  # the default grant names seal users
    member_page = _client(login, w, Role.MEMBER).get(url).content.decode()
    mine = member_page.split('data-testid="my-grant"', 1)[1].split("</p>", 1)[0]
    assert "badge ok" not in mine
    end = timezone.now() + dt.timedelta(days=5)
    granting.grant(
        w["seal"], by=w["users"][Role.OWNER], members=[w["users"][Role.MEMBER]], ends_at=end
    )
    member_page = _client(login, w, Role.MEMBER).get(url).content.decode()
    mine = member_page.split('data-testid="my-grant"', 1)[1].split("</p>", 1)[0]
    assert "badge ok" in mine and timezone.localtime(end).strftime("%Y-%m-%d %H:%M") in mine


def test_a_person_s_own_seal_has_no_grants_pages(granting_world, login):
    from chop.seals.models import Seal

    w = granting_world
    legal_rep = Seal.objects.create(
        company=w["company"],
        owner=w["users"][Role.OWNER],
        kind="legal_rep",
        name="王老板",
        status="active",
        certificate=w["seal"].certificate,
    )
    owner = _client(login, w, Role.OWNER)
    assert owner.get(reverse("seal_grants", args=[legal_rep.pk])).status_code == 404
    detail = owner.get(reverse("seal_detail", args=[legal_rep.pk])).content.decode()
    assert 'data-testid="seal-grants"' not in detail


def test_a_disabled_seal_is_listed_but_not_granted(granting_world, login):
    from chop.seals import lifecycle

    w = granting_world
    lifecycle.change_state(w["seal"], "disable", by=w["users"][Role.OWNER])
    keeper = _client(login, w, Role.SEAL_KEEPER)
    page = keeper.get(reverse("seal_grants", args=[w["seal"].pk])).content.decode()
    assert 'data-testid="not-grantable"' in page and 'data-testid="grant-new"' not in page
    response = keeper.post(reverse("seal_grant_new", args=[w["seal"].pk]), _form(w))
    assert response.status_code == 400
    assert not Grant.objects.filter(is_default=False).exists()


def test_the_members_page_explains_grants_and_approvals(granting_world, login):
    w = granting_world
    client = _client(login, w, Role.MEMBER)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("members"), follow=True).content.decode()
    assert "把印章授权给成员或角色，并设置每枚印章的审批人" in html  # keepers
    assert "每枚印章的默认授权给所有者、管理员、印章管理员和用印人" in html  # seal users
    assert "只有所有者可以授权静默签" in html
