"""A link to an object of one of the user's companies opens it in that company's space."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chop.accounts.models import User
from chop.audit.models import AuditEvent
from chop.orgs.access import SESSION_KEY
from chop.orgs.models import Company, Membership, Role
from chop.seals.models import Seal
from tests.conftest import log_in


@pytest.fixture
def world(db):
    owner = User.objects.create_user("13900000061", "s3cret-pass-61")
    outsider = User.objects.create_user("13900000062", "s3cret-pass-62")
    company = Company.objects.create(name="链接测试有限公司", created_by=owner)
    other = Company.objects.create(name="另一家有限公司", created_by=owner)
    Membership.objects.create(company=company, user=owner, role=Role.OWNER)
    Membership.objects.create(company=other, user=owner, role=Role.OWNER)
    Membership.objects.create(
        company=other, user=outsider, role=Role.ADMIN
    )  # one owner per company
    seal = Seal.objects.create(company=company, kind="contract", name="合同专用章")
    personal = Seal.objects.create(owner=owner, kind="signature", name="签名")
    return {
        "owner": owner,
        "outsider": outsider,
        "company": company,
        "other": other,
        "seal": seal,
        "personal": personal,
    }


def _switches():
    return list(AuditEvent.objects.filter(action="space.switched").order_by("id"))


def test_bookmarked_seal_opens_after_login_and_enters_its_company(client, world):
    url = reverse("seal_detail", args=[world["seal"].pk])
    response = client.get(url)
    assert response.status_code == 302 and "next=" in response["Location"]
    response = client.post(
        reverse("accounts:login") + "?next=" + url,
        {"method": "password", "login": "13900000061", "password": "s3cret-pass-61", "next": url},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    assert response.status_code == 200
    html = response.content.decode()
    assert "合同专用章" in html
    assert "此页面属于链接测试有限公司，已为您切换到该企业空间。" in html  # told, in Chinese
    assert client.session[SESSION_KEY] == world["company"].pk
    assert response.context["active_company"] == world["company"]  # rendered in its space
    [event] = _switches()
    assert event.company_id == world["company"].pk
    assert event.data["from"] == "personal" and event.data["to"] == world["company"].pk


def test_seal_of_another_of_my_companies_switches_and_personal_seal_switches_back(client, world):
    log_in(client, world["owner"], world["other"])
    assert client.get(reverse("seal_detail", args=[world["seal"].pk])).status_code == 200
    assert client.session[SESSION_KEY] == world["company"].pk
    assert client.get(reverse("seal_detail", args=[world["personal"].pk])).status_code == 200
    assert SESSION_KEY not in client.session  # the personal space
    assert [e.data["to"] for e in _switches()] == [world["company"].pk, "personal"]
    # and opening it again in its own space records nothing
    client.get(reverse("seal_detail", args=[world["personal"].pk]))
    assert len(_switches()) == 2


def test_non_member_gets_404_and_stays_where_they_were(client, world):
    log_in(client, world["outsider"], world["other"])
    for seal in (world["seal"], world["personal"]):
        assert client.get(reverse("seal_detail", args=[seal.pk])).status_code == 404
    assert client.get(reverse("seal_detail", args=[999999])).status_code == 404
    assert client.get(reverse("company_detail", args=[world["company"].pk])).status_code == 404
    assert client.session[SESSION_KEY] == world["other"].pk
    assert _switches() == []


def test_company_page_link_enters_that_company(client, world):
    client.force_login(world["owner"])
    response = client.get(reverse("company_detail", args=[world["company"].pk]))
    assert response.status_code == 200
    assert client.session[SESSION_KEY] == world["company"].pk
    assert response.context["active_company"] == world["company"]
    assert len(_switches()) == 1
    # a form posted from a stale tab of another company does not move the user
    client.post(reverse("company_members", args=[world["other"].pk]), {})
    assert client.session[SESSION_KEY] == world["company"].pk
