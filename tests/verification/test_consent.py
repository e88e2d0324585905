"""Issue 8, item 2: a legal representative's seal only with their consent; one identity per account;
the operator sees who applied and what looks off."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from chop.accounts import outbox
from chop.accounts.models import User
from chop.audit.models import AuditEvent
from chop.orgs.models import Company, Membership, Role
from chop.seals.models import Certificate, Seal
from chop.verification import pii
from chop.verification.models import CompanyVerification, Evidence, PersonVerification
from chop.verification.states import State
from tests.conftest import log_in

from .conftest import LEGAL_REP_ID, upload
from .test_flows import decide, post_company, post_person

pytestmark = pytest.mark.django_db

REP_PHONE = "13900000021"


def _uscc(n: int) -> str:
    from tests.identity.test_identity_uscc import make_uscc

    return make_uscc("91110000", f"{10000000 + n}")


def make_company(owner_login: str, name: str) -> tuple[User, Company]:
    owner = User.objects.create_user(owner_login, "s3cret-pass-9")
    company = Company.objects.create(name=name, created_by=owner)
    Membership.objects.create(company=company, user=owner, role=Role.OWNER)
    return owner, company


def verify_company(client, owner, company, operator, uscc, method="letter"):
    log_in(client, owner, company)
    response = post_company(client, method=method, uscc=uscc, company_name=company.name)
    assert response.status_code == 302, response.context and response.context["form"].errors
    case = CompanyVerification.objects.get(company=company)
    decide(client, operator, "company", case)
    case.refresh_from_db()
    return case


def verify_person(client, user, operator, phone=REP_PHONE, **kw) -> PersonVerification:
    client.force_login(user)
    response = post_person(client, phone=phone, **kw)
    assert response.status_code == 302, response.context and response.context["form"].errors
    case = PersonVerification.objects.get(applicant=user, state=State.PENDING_REVIEW)
    decide(client, operator, "person", case)
    case.refresh_from_db()
    return case


@pytest.fixture
def rep(db):
    return User.objects.create_user("13900000021", "s3cret-pass-7")


def test_an_id_number_typed_into_applications_gives_no_seal(client, rep, operator):
    """A verified person whose ID others typed into their companies gets no seal in them."""
    owner_x, x = make_company("13900000031", "北京甲方科技有限公司")
    owner_y, y = make_company("13900000032", "北京乙方科技有限公司")
    # X is verified before the person verifies, Y after: neither path issues anything
    case_x = verify_company(client, owner_x, x, operator, _uscc(0))
    person = verify_person(client, rep, operator)
    case_y = verify_company(client, owner_y, y, operator, _uscc(1))
    assert case_x.state == case_y.state == State.APPROVED
    assert person.state == State.APPROVED
    for company in (x, y):
        kinds = set(Seal.objects.filter(company=company).values_list("kind", flat=True))
        assert kinds == {Seal.Kind.OFFICIAL}
    assert not Seal.objects.filter(owner=rep).exists()
    assert not Certificate.objects.filter(user=rep).exists()
    # and the person cannot collect it either while not a member
    log_in(client, rep, x)
    client.post(reverse("verification:legal_rep"), {"action": "send"})
    assert not Seal.objects.filter(owner=rep).exists()
    # the company's members see that the seal waits for the named person
    log_in(client, owner_x, x)
    page = client.get(reverse("seals")).content.decode()
    assert 'id="legal-rep-notice"' in page and "张三" in page


def _member_rep_in_verified_company(client, rep, operator):
    owner, company = make_company("13900000033", "北京丙方科技有限公司")
    verify_company(client, owner, company, operator, _uscc(2))
    verify_person(client, rep, operator)
    Membership.objects.create(company=company, user=rep, role=Role.MEMBER)
    log_in(client, rep, company)
    return company


def test_the_member_who_confirms_with_a_code_gets_exactly_one_seal(client, rep, operator):
    company = _member_rep_in_verified_company(client, rep, operator)
    # logged in, in the personal space: told which company waits for their confirmation
    log_in(client, rep)
    page = client.get(reverse("workbench")).content.decode()
    assert 'id="legal-rep-notice"' in page and company.name in page
    # in the company: the workbench links to the confirmation page
    log_in(client, rep, company)
    page = client.get(reverse("workbench")).content.decode()
    assert 'id="legal-rep-notice"' in page and reverse("verification:legal_rep") in page
    client.post(reverse("verification:legal_rep"), {"action": "send"})
    code = outbox.last_code(REP_PHONE)
    response = client.post(reverse("verification:legal_rep"), {"code": code})
    assert response.status_code == 302
    seal = Seal.objects.get(company=company, kind=Seal.Kind.LEGAL_REP)
    assert seal.owner == rep and seal.status == Seal.Status.ACTIVE and seal.name == "张三"
    assert Certificate.objects.filter(user=rep).count() == 1
    case = CompanyVerification.objects.get(company=company)
    consent = Evidence.objects.get(case_type="company", case_id=case.pk, step="legal_rep_consent")
    assert consent.result == "confirmed" and consent.inputs["id_number"] == pii.match_hash(
        LEGAL_REP_ID
    )
    assert AuditEvent.objects.filter(
        action="verification.legal_rep_consented", actor=rep, company=company
    ).exists()
    # a second confirmation issues nothing more
    client.post(reverse("verification:legal_rep"), {"action": "send"})
    client.post(reverse("verification:legal_rep"), {"code": outbox.last_code(REP_PHONE)})
    assert Seal.objects.filter(company=company, kind=Seal.Kind.LEGAL_REP).count() == 1
    assert Certificate.objects.filter(user=rep).count() == 1


def test_a_wrong_code_issues_nothing(client, rep, operator):
    company = _member_rep_in_verified_company(client, rep, operator)
    client.post(reverse("verification:legal_rep"), {"action": "send"})
    code = outbox.last_code(REP_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("verification:legal_rep"), {"code": wrong})
    assert response.status_code == 200
    assert response.context["error"]
    assert not Seal.objects.filter(company=company, kind=Seal.Kind.LEGAL_REP).exists()
    assert not Certificate.objects.filter(user=rep).exists()
    assert not Evidence.objects.filter(step="legal_rep_consent").exists()


def test_a_member_with_another_name_cannot_confirm(client, rep, operator):
    owner, company = make_company("13900000034", "北京丁方科技有限公司")
    verify_company(client, owner, company, operator, _uscc(3))
    # verified with the same ID number but not the name the application gave
    verify_person(client, rep, operator, name="张叁")
    Membership.objects.create(company=company, user=rep, role=Role.MEMBER)
    log_in(client, rep, company)
    sent_before = len(outbox.messages(REP_PHONE))
    response = client.post(reverse("verification:legal_rep"), {"action": "send"})
    assert response.status_code == 200
    assert "不一致" in response.context["error"] or "not those" in response.context["error"]
    assert len(outbox.messages(REP_PHONE)) == sent_before  # no code is even sent
    assert not Seal.objects.filter(owner=rep).exists()


def test_a_second_account_with_the_same_id_number_is_refused(client, rep, operator):
    verify_person(client, rep, operator)
    other = User.objects.create_user("13900000041", "s3cret-pass-8")
    client.force_login(other)
    response = post_person(client, phone="13900000041")
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "another Chop account" in errors or "其他" in errors or "另一" in errors
    assert not PersonVerification.objects.filter(applicant=other).exists()


def test_the_database_holds_one_live_case_per_id_number(rep, operator):
    def case(user, state):
        c = PersonVerification(
            applicant=user, state=state, name="张三", phone=REP_PHONE, id_front="a", id_back="b"
        )
        c.set_id_number(LEGAL_REP_ID, "1101********002X")
        return c

    case(rep, State.APPROVED).save()
    other = User.objects.create_user("13900000042", "s3cret-pass-8")
    case(other, State.REJECTED).save()  # a rejected attempt holds nothing
    for state in (State.APPROVED, State.PENDING_REVIEW, State.PENDING_PROVIDER):
        with pytest.raises(IntegrityError), transaction.atomic():
            case(other, state).save()
    # one live case per account, too
    with pytest.raises(IntegrityError), transaction.atomic():
        c = case(rep, State.PENDING_REVIEW)
        c.set_id_number("440524198001010013", "4405********0013")
        c.save()


def test_operator_sees_the_applicants_own_verification_and_flags(client, applicant, operator):
    """A letter application by an agent whose own verification was just rejected, naming
    someone else as legal representative: the page says so, and calls the applicant 经办人."""
    from .conftest import USCC

    # the agent's own verification, with their own ID number, is rejected
    client.force_login(applicant)
    post_person(client, name="李四", id_number="440524198001010013")
    mine = PersonVerification.objects.get(applicant=applicant)
    decide(client, operator, "person", mine, decision="reject", reason="照片模糊")
    # another account once tried the agent's ID number
    stranger = User.objects.create_user("13900000051", "s3cret-pass-8")
    client.force_login(stranger)
    post_person(client, phone="13900000051", name="李四", id_number="440524198001010013")
    # the stranger's person case shows the agent's earlier case with the same ID number
    client.force_login(operator)
    theirs = PersonVerification.objects.get(applicant=stranger)
    review = client.get(
        reverse("verification:case", args=["person", theirs.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).context["review"]
    assert any(f"#{mine.pk}" in w and "another account" in w for w in review.warnings)
    # the agent applies for a company by letter, naming 张三 as legal representative
    company = Company.objects.create(name="深圳示例有限公司", created_by=applicant)
    Membership.objects.create(company=company, user=applicant, role=Role.OWNER)
    log_in(client, applicant, company)
    post_company(client, method="letter")
    case = CompanyVerification.objects.get(company=company)
    client.force_login(operator)
    with_lang = {"HTTP_ACCEPT_LANGUAGE": "en"}
    page = client.get(reverse("verification:case", args=["company", case.pk]), **with_lang)
    text = page.content.decode()
    review = page.context["review"]
    assert not review.applicant_is_legal_rep and review.role_label == "Agent"
    assert review.applicant_person == mine
    assert any("rejected" in w for w in review.warnings)
    assert any("another account" in w for w in review.warnings)
    assert 'id="case-flags"' in text and 'id="applicant-person"' in text
    zh = client.get(
        reverse("verification:case", args=["company", case.pk]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert "经办人" in zh
    # the same USCC on another company is flagged too
    owner2, other_company = make_company("13900000052", "深圳别家有限公司")
    CompanyVerification.objects.create(
        applicant=owner2,
        company=other_company,
        state=State.REJECTED,
        company_name="深圳别家有限公司",
        uscc=USCC,
        legal_rep_name="王五",
        legal_rep_id_encrypted="x",
        legal_rep_id_hash="y",
        licence=upload().name,
        method="letter",
    )
    review = client.get(reverse("verification:case", args=["company", case.pk])).context["review"]
    assert any(f"#{other_company.verifications.get().pk}" in w for w in review.warnings)


def test_operator_sees_the_legal_representative_label_when_it_is_them(
    client, in_company, company, applicant, operator
):
    verify_person(in_company, applicant, operator, phone="13900000011")
    log_in(in_company, applicant, company)
    post_company(in_company, method="letter")
    case = CompanyVerification.objects.get(company=company)
    client.force_login(operator)
    review = client.get(
        reverse("verification:case", args=["company", case.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).context["review"]
    assert review.applicant_is_legal_rep and review.role_label == "Legal representative"
    assert review.warnings == []


def test_the_database_holds_one_active_legal_rep_seal_per_company(client, rep, operator):
    company = _member_rep_in_verified_company(client, rep, operator)
    client.post(reverse("verification:legal_rep"), {"action": "send"})
    client.post(reverse("verification:legal_rep"), {"code": outbox.last_code(REP_PHONE)})
    with pytest.raises(IntegrityError), transaction.atomic():
        Seal.objects.create(
            company=company, owner=rep, kind=Seal.Kind.LEGAL_REP, name="张三", status="active"
        )


def test_a_consent_that_fails_after_issuance_leaves_no_certificate(
    client, rep, operator, monkeypatch
):
    """The confirmation's transaction rolls back after the person certificate was issued: the
    certificate must not stay good at the CA with no row pointing at it (the CA's record of it
    rolls back with the transaction)."""
    from chop.seals import issuance

    company = _member_rep_in_verified_company(client, rep, operator)
    ca = issuance.platform_ca()
    made = []
    real_issue = ca.issue_person

    def spy(*args, **kwargs):
        made.append(real_issue(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(ca, "issue_person", spy)
    client.post(reverse("verification:legal_rep"), {"action": "send"})
    real_create = Evidence.objects.create

    def fail_on_consent(**kwargs):
        if kwargs.get("step") == "legal_rep_consent":
            raise RuntimeError("the evidence store is down")
        return real_create(**kwargs)

    monkeypatch.setattr(Evidence.objects, "create", fail_on_consent)
    with pytest.raises(RuntimeError):
        client.post(reverse("verification:legal_rep"), {"code": outbox.last_code(REP_PHONE)})
    assert not Seal.objects.filter(company=company, kind=Seal.Kind.LEGAL_REP).exists()
    assert not Certificate.objects.filter(user=rep).exists()
    assert made, "the person certificate was issued before the failure"
    for credential in made:
        assert ca.status(credential.serial).status == "unknown"
