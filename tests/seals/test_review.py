"""The operator's review of uploaded seals (issue 10 §3): queue, review page, approve, reject
with a reason, official seal replaced, two operators at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from chop.audit.models import AuditEvent
from chop.orgs.models import Role
from chop.seals.lifecycle import SealStateError
from chop.seals.models import Seal
from chop.seals.review import decide

from .upload_photos import commit_per_request, upload_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("commit_per_request")]
__all__ = ["commit_per_request"]

QUEUE = "/operator/seals/"


@pytest.fixture
def operator(make_user):
    return make_user("审核员", is_staff=True)


@pytest.fixture
def keeper(make_user):
    return make_user("印章管理员")


@pytest.fixture
def company(verified_company, keeper):
    return verified_company(members={keeper: Role.SEAL_KEEPER})


def test_non_operators_get_404_everywhere(company, keeper, login):
    seal = upload_now(company, keeper)
    owner = company.memberships.get(role=Role.OWNER).user
    for user in (keeper, owner):
        c = login(user, company)
        assert c.get(QUEUE).status_code == 404
        assert c.get(reverse("seal_review", args=[seal.pk])).status_code == 404
        assert (
            c.post(reverse("seal_review", args=[seal.pk]), {"decision": "approve"}).status_code
            == 404
        )
        assert c.get(reverse("seal_review_file", args=[seal.pk, "photo"])).status_code == 404
    seal.refresh_from_db()
    assert seal.status == "pending"


def test_queue_lists_extracted_uploads_oldest_first(
    company, keeper, operator, login, settings, verified_company, make_user
):
    c = login(operator)
    empty = c.get(QUEUE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No uploaded seals are waiting for review." in empty
    first = upload_now(company, keeper, kind="contract")
    other_keeper = make_user("另一管理员")
    other = verified_company("另一家公司", members={other_keeper: Role.SEAL_KEEPER})
    second = upload_now(other, other_keeper, kind="finance")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    extracting = upload_now(company, keeper, kind="hr")
    assert not extracting.image
    html = c.get(QUEUE).content.decode()
    links = [reverse("seal_review", args=[s.pk]) for s in (first, second)]
    assert links[0] in html and links[1] in html and html.index(links[0]) < html.index(links[1])
    assert reverse("seal_review", args=[extracting.pk]) not in html
    assert "No uploaded seals" not in html
    # the verification console links here with the count
    vq = c.get(reverse("verification:queue")).content.decode()
    assert reverse("seal_review_queue") in vq and '<span class="badge warn">2</span>' in vq


def test_review_page_shows_the_verified_name_and_uscc_beside_the_image(
    company, keeper, operator, login
):
    seal = upload_now(company, keeper, kind="official")
    c = login(operator)
    html = c.get(reverse("seal_review", args=[seal.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert company.name in html and company.uscc in html and keeper.name in html
    old = Seal.objects.get(company=company, kind="official", status="active")
    assert old.code in html  # approving replaces the current official seal
    for which, mime in (("image", "image/png"), ("photo", "image/jpeg"), ("current", "image/png")):
        r = c.get(reverse("seal_review_file", args=[seal.pk, which]))
        assert r.status_code == 200 and r["Content-Type"] == mime
        assert r["X-Content-Type-Options"] == "nosniff"
    assert c.get(reverse("seal_review_file", args=[seal.pk, "other"])).status_code == 404


def test_approving_an_uploaded_official_seal_revokes_the_old_one(company, keeper, operator, login):
    old = Seal.objects.get(company=company, kind="official", status="active")
    seal = upload_now(company, keeper, kind="official")
    c = login(operator)
    r = c.post(reverse("seal_review", args=[seal.pk]), {"decision": "approve", "reason": ""})
    assert r.status_code == 302 and r["Location"] == reverse("seal_review_queue")
    seal.refresh_from_db()
    old.refresh_from_db()
    assert seal.status == "active" and seal.reviewed_by == operator and seal.usable_for_stamping
    assert old.status == "revoked" and old.revoked_at
    assert Seal.objects.filter(company=company, kind="official", status="active").count() == 1
    approved = AuditEvent.objects.get(action="seal.approved")
    assert approved.company == company and approved.actor == operator
    assert AuditEvent.objects.filter(action="seal.revoked", object_id=str(old.pk)).exists()
    # the keeper sees it active on the Seals page
    seals = login(keeper, company).get(reverse("seals")).content.decode()
    assert reverse("seal_detail", args=[seal.pk]) in seals


def test_rejecting_needs_a_reason_and_keeps_it(company, keeper, operator, login):
    seal = upload_now(company, keeper)
    c = login(operator)
    url = reverse("seal_review", args=[seal.pk])
    r = c.post(url, {"decision": "reject", "reason": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "Please give a reason." in r.content.decode()
    seal.refresh_from_db()
    assert seal.status == "pending"
    r = c.post(url, {"decision": "reject", "reason": "印章名称与认证名称不符"})
    assert r.status_code == 302
    seal.refresh_from_db()
    assert seal.status == "revoked" and seal.status_reason == "印章名称与认证名称不符"
    ev = AuditEvent.objects.get(action="seal.rejected")
    assert ev.company == company and ev.data["reason"] == "印章名称与认证名称不符"


def test_a_seal_still_extracting_cannot_be_decided(company, keeper, operator, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    seal = upload_now(company, keeper)
    with pytest.raises(SealStateError) as info:
        decide(seal, approve=True, by=operator)
    assert info.value.code == "not_extracted"
    seal.refresh_from_db()
    assert seal.status == "pending"


def test_second_operator_on_a_stale_page_gets_the_translated_message(
    company, keeper, operator, make_user, login
):
    seal = upload_now(company, keeper, kind="official")
    other = make_user("审核员二", is_staff=True)
    a, b = login(operator), login(other)
    url = reverse("seal_review", args=[seal.pk])
    assert a.get(url).status_code == 200 and b.get(url).status_code == 200  # both open the page
    assert a.post(url, {"decision": "approve"}).status_code == 302
    r = b.post(
        url, {"decision": "reject", "reason": "看不清"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "the page was out of date. Nothing was changed." in r.content.decode()
    seal.refresh_from_db()
    assert seal.status == "active" and seal.reviewed_by == operator
    assert AuditEvent.objects.filter(action__in=["seal.approved", "seal.rejected"]).count() == 1


def test_two_stale_objects_one_wins(company, keeper, operator, make_user):
    seal = upload_now(company, keeper)
    stale_a, stale_b = Seal.objects.get(pk=seal.pk), Seal.objects.get(pk=seal.pk)
    decide(stale_a, approve=True, by=operator)
    with pytest.raises(SealStateError):
        decide(stale_b, approve=False, by=make_user("二", is_staff=True), reason="x")
    seal.refresh_from_db()
    assert seal.status == "active"


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_on_postgres_one_wins(verified_company, make_user):
    """Two operators' threads at once, each on its own connection: the row lock serialises them,
    one decision is written, the other gets ``wrong_state``."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are exercised on PostgreSQL")
    from tests.concurrency import at_once, errors

    keeper = make_user("管理员")
    company = verified_company(members={keeper: Role.SEAL_KEEPER})
    seal = upload_now(company, keeper, kind="official")
    ops = [make_user(f"审核员{i}", is_staff=True) for i in range(2)]

    def act(i):
        stale = Seal.objects.get(pk=seal.pk)
        return decide(stale, approve=i == 0, by=ops[i], reason="" if i == 0 else "不清晰")

    results = at_once(2, act)
    failed = errors(results)
    assert len(failed) == 1 and isinstance(failed[0], SealStateError)
    assert failed[0].code == "wrong_state"
    seal.refresh_from_db()
    assert Seal.objects.filter(company=company, kind="official", status="active").count() == 1
    assert (
        AuditEvent.objects.filter(
            action__in=["seal.approved", "seal.rejected"], object_id=str(seal.pk)
        ).count()
        == 1
    )
