"""Use requests and approvals: who may ask, who approves (the rule's approvers, else the
company's owner, administrators and seal approvers, never the requester), one-of or all-of,
decisions under a row lock, withdrawal, notices after commit, and the approver's workbench."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings

from chop.audit.models import AuditEvent
from chop.grants import requests as service
from chop.grants.models import ApprovalRule, UseDecision, UseRequest
from chop.orgs.models import Membership, Role
from tests.concurrency import at_once, errors

from .authorisation_support import a_contract, grant, official_seal

pytestmark = pytest.mark.django_db


def outbox() -> list[dict]:
    path = django_settings.CHOP_OUTBOX
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture
def world(signing_world, make_user):
    """Company A with an approver and a second administrator besides the signing world's
    people, and a contract of A being signed whose party any member of A may act for."""
    w = signing_world
    w["a_approver"] = make_user("甲方审批人")
    w["a_admin"] = make_user("甲方管理员")
    Membership.objects.create(company=w["a"], user=w["a_approver"], role=Role.SEAL_APPROVER)
    Membership.objects.create(company=w["a"], user=w["a_admin"], role=Role.ADMIN)
    w["contract"], w["party"] = a_contract(w)
    w["seal"] = official_seal(w["a"])
    return w


def _file(w, reason="采购需要盖章", by=None):
    return service.file(w["seal"], w["contract"], by=by or w["a_member"], reason=reason)


def test_filing_copies_the_default_approvers_and_tells_them_after_commit(
    world, django_capture_on_commit_callbacks
):
    w = world
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = _file(w)
    assert r.state == "pending" and r.mode == "any" and r.requester == w["a_member"]
    approvers = {u.pk for u in r.approvers.all()}
    assert approvers == {w["a_owner"].pk, w["a_admin"].pk, w["a_approver"].pk}
    assert len(callbacks) == 3
    told = {m["to"] for m in outbox()}
    assert w["a_approver"].phone in told or w["a_approver"].email in told or told
    event = AuditEvent.objects.get(action="seal_use.requested")
    assert event.data["reason"] == "采购需要盖章" and event.data["mode"] == "any"


def test_the_rule_decides_the_approvers_and_the_mode_but_never_the_requester(world):
    w = world
    rule = ApprovalRule.objects.create(seal=w["seal"], mode="all")
    # the keeper may stamp (default grant), so the requester here is the member; the rule names
    # the approver, the member themself, and the keeper (who holds no approving role)
    rule.approvers.set([w["a_approver"], w["a_member"], w["a_keeper"], w["a_admin"]])
    r = _file(w)
    assert {u.pk for u in r.approvers.all()} == {w["a_approver"].pk, w["a_admin"].pk}
    assert r.mode == "all"


def test_filing_is_refused_without_reason_with_a_grant_twice_or_with_no_approver(world):
    w = world
    with pytest.raises(service.RequestError) as err:
        _file(w, reason="   ")
    assert err.value.code == "reason.missing"
    with pytest.raises(service.RequestError) as err:
        _file(w, reason="长" * 501)
    assert err.value.code == "reason.long"
    with pytest.raises(service.RequestError) as err:
        _file(w, by=w["a_keeper"])  # the keeper stamps by the default grant
    assert err.value.code == "request.allowed"
    _file(w)
    with pytest.raises(service.RequestError) as err:
        _file(w)
    assert err.value.code == "request.pending"
    assert UseRequest.objects.count() == 1
    # a company whose only approver is the requester
    Membership.objects.filter(company=w["a"], role__in=["admin", "seal_approver"]).delete()
    with pytest.raises(service.RequestError) as err:
        service.file(w["seal"], w["contract"], by=w["a_owner"], reason="x")
    assert err.value.code == "request.allowed"  # the owner holds the default grant
    w["seal"].grants.update(revoked_at=w["contract"].sent_at)
    with pytest.raises(service.RequestError) as err:
        service.file(w["seal"], w["contract"], by=w["a_owner"], reason="需要")
    assert err.value.code == "request.no_approvers"
    assert "ask an administrator to set approvers" in err.value.message


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_files_one_request(world):
    w = world
    results = at_once(2, lambda i: _file(w))
    filed = [r for r in results if isinstance(r, UseRequest)]
    refused = errors(results)
    assert len(filed) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], service.RequestError)
    assert refused[0].code == "request.pending"
    assert UseRequest.objects.count() == 1


def test_mode_any_the_first_decision_decides_and_tells_the_requester(
    world, django_capture_on_commit_callbacks
):
    w = world
    r = _file(w)
    with django_capture_on_commit_callbacks(execute=True):
        decided = service.decide(r, by=w["a_approver"], approve=True, comment="同意")
    assert decided.state == "approved" and decided.decided_at is not None
    to_requester = [m for m in outbox() if m["to"] in {w["a_member"].phone, w["a_member"].email}]
    assert to_requester and f"/contracts/{w['contract'].pk}/sign/" in to_requester[-1]["body"]
    with pytest.raises(service.RequestError) as err:
        service.decide(r, by=w["a_owner"], approve=False, comment="晚了")
    assert err.value.code == "decide.closed"
    assert AuditEvent.objects.filter(action="seal_use.approved").count() == 1


def test_mode_all_needs_every_approver_and_the_first_rejection_rejects(world):
    w = world
    rule = ApprovalRule.objects.create(seal=w["seal"], mode="all")
    rule.approvers.set([w["a_approver"], w["a_admin"]])
    r = _file(w)
    assert service.decide(r, by=w["a_approver"], approve=True, comment="").state == "pending"
    with pytest.raises(service.RequestError) as err:
        service.decide(r, by=w["a_approver"], approve=True, comment="")
    assert err.value.code == "decide.refused"  # one decision per approver
    assert service.decide(r, by=w["a_admin"], approve=True, comment="").state == "approved"

    UseRequest.objects.filter(pk=r.pk).update(state="cancelled")
    r2 = _file(w)
    with pytest.raises(service.RequestError) as err:
        service.decide(r2, by=w["a_admin"], approve=False, comment="")
    assert err.value.code == "comment.missing"
    assert service.decide(r2, by=w["a_admin"], approve=False, comment="用途不明").state == (
        "rejected"
    )
    assert AuditEvent.objects.filter(action="seal_use.rejected").count() == 1


def test_only_the_named_approvers_decide_never_the_requester(world):
    w = world
    r = _file(w)
    for who in (w["a_member"], w["a_keeper"], w["b_owner"]):
        with pytest.raises(service.RequestError) as err:
            service.decide(r, by=who, approve=True, comment="")
        assert err.value.code == "decide.refused"
    assert not UseDecision.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["any", "all"])
def test_two_approvers_deciding_at_once_stay_consistent(world, mode):
    w = world
    rule = ApprovalRule.objects.create(seal=w["seal"], mode=mode)
    rule.approvers.set([w["a_approver"], w["a_admin"]])
    r = _file(w)
    deciders = [w["a_approver"], w["a_admin"]]
    results = at_once(2, lambda i: service.decide(r, by=deciders[i], approve=True, comment=""))
    r.refresh_from_db()
    assert r.state == "approved"
    if mode == "any":
        assert len(errors(results)) == 1 and r.decisions.count() == 1
    else:
        assert errors(results) == [] and r.decisions.count() == 2


def test_withdraw_by_the_requester_while_it_waits(world):
    w = world
    r = _file(w)
    with pytest.raises(service.RequestError):
        service.withdraw(r, by=w["a_owner"])
    assert service.withdraw(r, by=w["a_member"]).state == "cancelled"
    with pytest.raises(service.RequestError) as err:
        service.withdraw(r, by=w["a_member"])
    assert err.value.code == "withdraw.closed"
    assert not service.waiting_for(w["a_owner"]).exists()
    # a new request may be filed once the old one is withdrawn
    assert _file(w).state == "pending"


def test_an_approval_expires_with_the_contract(world):
    w = world
    r = _file(w)
    service.decide(r, by=w["a_owner"], approve=True, comment="")
    r.refresh_from_db()
    assert not service.is_expired(r)
    w["contract"].state = "revoked"
    w["contract"].save(update_fields=["state"])
    r.refresh_from_db()
    assert service.is_expired(r)


def test_a_waiting_request_cannot_be_decided_after_the_deadline(world, login):
    import datetime

    from django.utils import timezone

    w = world
    r = _file(w)
    w["contract"].deadline = timezone.localdate() - datetime.timedelta(days=1)
    w["contract"].save(update_fields=["deadline"])
    page = login(w["a_owner"], w["a"]).get("/approvals/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Expired with the contract" in text and 'data-testid="decide-form"' not in text
    with pytest.raises(service.RequestError) as err:
        service.decide(r, by=w["a_owner"], approve=True, comment="")
    assert err.value.code == "decide.expired"
    r.refresh_from_db()
    assert r.state == "pending" and not r.decisions.exists()


# --- the pages ---------------------------------------------------------------------------


def test_request_on_the_signing_page_approve_on_the_workbench_then_stamp(world, login):
    w = world
    url = f"/contracts/{w['contract'].pk}/sign/"
    member = login(w["a_member"], w["a"])
    page = member.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="request-form"' in page and 'data-testid="seal-option"' not in page
    empty = member.post(
        url,
        {"party": w["party"].pk, "action": "request_approval", "request_seal": w["seal"].pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert empty.status_code == 400 and "Say why you need this seal." in empty.content.decode()
    filed = member.post(
        url,
        {
            "party": w["party"].pk,
            "action": "request_approval",
            "request_seal": w["seal"].pk,
            "reason": "采购合同需要盖公章",
        },
    )
    assert filed.status_code == 302
    r = UseRequest.objects.get()
    page = member.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for approval" in page and 'data-testid="withdraw-request"' in page

    approver = login(w["a_approver"], w["a"])
    home = approver.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="nav-approvals-count">1<' in home
    listing = approver.get("/approvals/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "采购合同需要盖公章" in listing and 'data-testid="count-waiting">1<' in listing
    assert f"/seals/{w['seal'].pk}/image.png" in listing
    done = approver.post(f"/approvals/{r.pk}/decide/", {"verdict": "approve", "comment": ""})
    assert done.status_code == 302
    r.refresh_from_db()
    assert r.state == "approved"
    decided = approver.get("/approvals/?tab=decided", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="count-waiting">0<' in decided and "采购合同需要盖公章" in decided

    page = member.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'name="seal" value="{w["seal"].pk}"' in page
    assert f"Approved request #{r.pk}" in page


def test_the_workbench_in_chinese_with_empty_states(world, login):
    w = world
    page = login(w["a_owner"], w["a"]).get("/approvals/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert page.status_code == 200
    assert "用印审批" in text and 'data-testid="empty-waiting"' in text
    mine = login(w["a_member"], w["a"]).get("/approvals/?tab=mine").content.decode()
    assert 'data-testid="empty-mine"' in mine


def test_decide_and_withdraw_pages_answer_only_their_people(world, login):
    w = world
    r = _file(w)
    outsider = login(w["a_keeper"], w["a"])
    assert outsider.post(f"/approvals/{r.pk}/decide/", {"verdict": "approve"}).status_code == 404
    assert outsider.post(f"/approvals/{r.pk}/withdraw/").status_code == 404
    approver = login(w["a_owner"], w["a"])
    rejected = approver.post(f"/approvals/{r.pk}/decide/", {"verdict": "reject", "comment": ""})
    assert rejected.status_code == 302
    r.refresh_from_db()
    assert r.state == "pending"  # a rejection needs a comment
    member = login(w["a_member"], w["a"])
    back = member.post(
        f"/approvals/{r.pk}/withdraw/", {"next": f"/contracts/{w['contract'].pk}/sign/"}
    )
    assert back.status_code == 302 and back["Location"].endswith("/sign/")
    r.refresh_from_db()
    assert r.state == "cancelled"
    evil = member.post(f"/approvals/{r.pk}/withdraw/", {"next": "https://evil.example/"})
    assert "evil" not in evil["Location"]


def test_a_granted_member_sees_why_the_seal_is_offered(world, login):
    w = world
    grant(w["seal"], w["a_member"], max_uses=3, ends_in_days=10)
    page = login(w["a_member"], w["a"]).get(
        f"/contracts/{w['contract'].pk}/sign/", HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page.content.decode()
    assert 'data-testid="seal-why"' in text and "3 uses left" in text and "By grant" in text
