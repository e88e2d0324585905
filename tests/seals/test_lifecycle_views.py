"""The lifecycle buttons: who may press them, what a refused move leaves behind (nothing), the
official seal revoked and generated again, and the records page naming every change."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from chop.audit.models import AuditEvent
from chop.orgs import permissions
from chop.orgs.models import Membership, Role
from chop.seals import lifecycle
from chop.seals.models import Certificate, Seal

from .test_pages import FULL_ROLES, OTHER_ROLES, official, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed(verified_company, make_user):
    people = {role: make_user(f"{role}员工") for role in Role.values if role != Role.OWNER}
    owner = make_user("老板")
    company = verified_company(owner=owner, members={u: r for r, u in people.items()})
    people[Role.OWNER] = owner
    return company, people


def post(client, seal, action, **data):
    return client.post(reverse("seal_change_state", args=[seal.pk]), {"action": action, **data})


@pytest.mark.parametrize("role", FULL_ROLES)
def test_keepers_owners_admins_disable_enable_and_revoke(staffed, login, role):
    company, people = staffed
    seal = official(company)
    client = login(people[role], company)
    html = client.get(reverse("seal_detail", args=[seal.pk])).content.decode()
    assert 'data-testid="form-disable"' in html and 'data-testid="form-revoke"' in html
    assert 'data-testid="form-enable"' not in html  # enable is no move out of "active"

    response = post(client, seal, "disable", reason="年检")
    assert response.status_code == 302 and response["Location"] == f"/seals/{seal.pk}/"
    seal.refresh_from_db()
    assert seal.status == "disabled" and seal.status_reason == "年检"
    page = client.get(response["Location"]).content.decode()
    assert "印章已停用：重新启用前" in page  # the success message
    assert 'data-testid="form-enable"' in page and 'data-testid="form-disable"' not in page

    assert post(client, seal, "enable").status_code == 302
    seal.refresh_from_db()
    assert seal.status == "active" and Seal.objects.usable().filter(pk=seal.pk).exists()

    post(client, seal, "revoke", reason="公章损毁", confirm="yes")
    seal.refresh_from_db()
    assert seal.status == "revoked" and seal.status_reason == "公章损毁" and seal.revoked_at
    page = client.get(reverse("seal_detail", args=[seal.pk])).content.decode()
    assert 'id="lifecycle"' not in page  # revoked is final: no buttons left
    actions = [e.action for e in lifecycle.history(seal)]
    assert actions == ["seal.created", "seal.disabled", "seal.enabled", "seal.revoked"]
    assert all(
        e.actor_id == people[role].pk for e in lifecycle.history(seal) if e.action != "seal.created"
    )


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_members_are_refused_and_nothing_changes(staffed, login, role):
    company, people = staffed
    seal = official(company)
    client = login(people[role], company)
    html = client.get(reverse("seal_detail", args=[seal.pk])).content.decode()
    assert 'id="lifecycle"' not in html
    for action, data in (("disable", {}), ("revoke", {"reason": "x", "confirm": "yes"})):
        assert post(client, seal, action, **data).status_code == 403
    seal.refresh_from_db()
    assert seal.status == "active"
    assert not AuditEvent.objects.filter(action__in=["seal.disabled", "seal.revoked"]).exists()


def test_revoking_needs_a_reason_and_a_tick_and_keeps_what_was_typed(staffed, login):
    company, people = staffed
    seal = official(company)
    client = login(people[Role.SEAL_KEEPER], company)
    response = post(client, seal, "revoke", reason="   ", confirm="yes")
    assert response.status_code == 400
    assert "请填写原因" in response.content.decode()
    response = post(client, seal, "revoke", reason="钥匙遗失，需要重新刻制")
    assert response.status_code == 400
    html = response.content.decode()
    assert "请勾选确认" in html
    assert "钥匙遗失，需要重新刻制</textarea>" in html  # the reason is not lost
    assert re.search(r'<details class="revoke" open>', html)
    seal.refresh_from_db()
    assert seal.status == "active"
    assert not AuditEvent.objects.filter(action="seal.revoked").exists()


def test_unknown_action_is_refused(staffed, login):
    company, people = staffed
    seal = official(company)
    response = post(login(people[Role.OWNER], company), seal, "approve")
    assert response.status_code == 400  # operators approve in their console, not here
    seal.refresh_from_db()
    assert seal.status == "active"


def test_a_stale_page_changes_nothing_and_says_why(staffed, login):
    company, people = staffed
    seal = official(company)
    a, b = login(people[Role.OWNER], company), login(people[Role.SEAL_KEEPER], company)
    assert post(a, seal, "disable").status_code == 302
    response = post(b, seal, "disable")  # b's page still showed "Disable"
    assert response.status_code == 302
    page = b.get(response["Location"]).content.decode()
    assert "页面已过期" in page or "已不是" in page or "未作任何更改" in page
    assert AuditEvent.objects.filter(action="seal.disabled").count() == 1


def test_personal_signature_is_changed_only_by_its_owner(make_user, login):
    me, other = make_user("本人"), make_user("别人")
    sig = Seal.objects.create(owner=me, kind="signature", name="本人", status="active")
    assert post(login(other), sig, "disable").status_code == 404
    assert post(login(me), sig, "disable").status_code == 302
    sig.refresh_from_db()
    assert sig.status == "disabled"


# --- the official seal: revoked, then generated again ------------------------------------------


def test_revoked_official_seal_is_generated_again_with_the_same_certificate(staffed, login):
    company, people = staffed
    keeper = people[Role.SEAL_KEEPER]
    old = official(company)
    client = login(keeper, company)
    listing = client.get("/seals/").content.decode()
    assert 'data-testid="offer-official"' not in listing  # it has one
    certificates = Certificate.objects.count()

    post(client, old, "revoke", reason="公章遗失", confirm="yes")
    for url in ("/seals/", reverse("seal_detail", args=[old.pk])):
        assert 'data-testid="offer-official"' in client.get(url).content.decode(), url

    response = client.post(reverse("seal_official_regenerate"))
    assert response.status_code == 302
    new = official(company)
    assert response["Location"] == f"/seals/{new.pk}/"
    old.refresh_from_db()
    assert old.status == "revoked" and new.pk != old.pk and new.code != old.code
    assert new.certificate_id == old.certificate_id and Certificate.objects.count() == certificates
    assert new.created_by == keeper and new.spec["bottom_text"] == new.code
    assert new.image and new.usable_for_stamping
    created = AuditEvent.objects.filter(action="seal.created", object_id=str(new.pk)).get()
    assert created.actor_id == keeper.pk and created.data["origin"] == "regenerated"
    assert not AuditEvent.objects.filter(action="certificate.issued", actor=keeper).exists()
    # the page of the new seal, and a second click: still exactly one active official seal
    page = client.get(response["Location"]).content.decode()
    assert new.code in text(page) and "已生成新的公章" in page
    again = client.post(reverse("seal_official_regenerate"))
    assert again["Location"] == f"/seals/{new.pk}/"
    assert Seal.objects.filter(company=company, kind="official", status="active").count() == 1
    assert 'data-testid="offer-official"' not in client.get("/seals/").content.decode()


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_keepers_owners_admins_generate_the_official_seal(staffed, login, role):
    company, people = staffed
    lifecycle.change_state(official(company), "revoke", by=people[Role.OWNER], reason="遗失")
    client = login(people[role], company)
    assert 'data-testid="offer-official"' not in client.get("/seals/").content.decode()
    assert client.post(reverse("seal_official_regenerate")).status_code == 403
    assert not Seal.objects.filter(company=company, status="active", kind="official").exists()


def test_unverified_company_and_personal_space_cannot_generate(make_company, make_user, login):
    owner = make_user("老板")
    company = make_company("未认证公司", owner=owner)
    assert login(owner, company).post(reverse("seal_official_regenerate")).status_code == 403
    assert login(owner).post(reverse("seal_official_regenerate")).status_code == 404
    assert not Seal.objects.exists()


def test_a_disabled_official_seal_blocks_a_new_one(staffed, login):
    """Disabling pauses the official seal; only revoking lets a new one be made. Otherwise
    enabling the old one later would make two."""
    company, people = staffed
    old = official(company)
    client = login(people[Role.OWNER], company)
    post(client, old, "disable")
    assert 'data-testid="offer-official"' not in client.get("/seals/").content.decode()
    response = client.post(reverse("seal_official_regenerate"))
    assert response["Location"] == f"/seals/{old.pk}/"
    assert "已停用而非吊销" in client.get(response["Location"]).content.decode()
    assert Seal.objects.filter(company=company, kind="official").count() == 1


# --- records ------------------------------------------------------------------------------------


def test_records_page_names_every_seal_change(staffed, login):
    company, people = staffed
    seal = official(company)
    client = login(people[Role.OWNER], company)
    post(client, seal, "disable", reason="年检")
    post(client, seal, "enable")
    post(client, seal, "revoke", reason="遗失", confirm="yes")
    words = text(client.get(reverse("records")).content)
    for label in ("生成印章", "印章已停用", "印章已重新启用", "印章已吊销"):
        assert label in words, label
    assert "seal.disabled" not in words and "原因：遗失" in words


# --- the permission functions behind the buttons -------------------------------------------------


def test_regenerate_permission_needs_a_verified_company(staffed, make_company, make_user):
    company, people = staffed
    for role, user in people.items():
        m = Membership.objects.get(company=company, user=user)
        assert permissions.can_regenerate_official_seal(m) is (role in FULL_ROLES), role
    owner = make_user("另一位老板")
    unverified = make_company("未认证", owner=owner)
    m = Membership.objects.get(company=unverified, user=owner)
    assert permissions.can_regenerate_official_seal(m) is False
    assert permissions.can_regenerate_official_seal(None) is False
