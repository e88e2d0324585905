"""Issue 8, item 6: names the forms accept are names approval can draw; approval never 500s."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chop.accounts import outbox
from chop.orgs.forms import CompanyForm as CreateCompanyForm
from chop.orgs.models import Company
from chop.seals.models import Certificate, Seal
from chop.verification.forms import PersonForm
from chop.verification.models import CompanyVerification, Evidence
from chop.verification.states import State
from tests.conftest import log_in

from .conftest import USCC, upload
from .test_flows import decide, post_company, post_person

pytestmark = pytest.mark.django_db

LONG = "深圳" + "示" * 43 + "有限公司"  # 49 characters
EMOJI = "深圳示例\U0001f600有限公司"
RLO = "深圳\u202e示例有限公司"

# (typed, accepted as, or None when refused)
COMPANY_NAMES = [
    (LONG, None),
    ("深圳" + "示" * 60 + "有限公司", None),
    (EMOJI, None),
    (RLO, "深圳示例有限公司"),
    ("买买提·艾力商贸有限公司", "买买提·艾力商贸有限公司"),
    ("ＡＢＣ科技（深圳）有限公司", "ABC科技（深圳）有限公司"),
]
PERSON_NAMES = [
    ("买买提·艾力", "买买提·艾力"),
    ("买买提・艾力", "买买提·艾力"),
    ("张\U0001f600", None),
    ("张\u202e三", "张三"),
    ("张" * 31, None),
]


@pytest.mark.parametrize(("typed", "accepted"), COMPANY_NAMES)
def test_company_names_through_the_forms(in_company, typed, accepted):
    response = post_company(in_company, company_name=typed)
    if accepted is None:
        assert response.status_code == 200
        assert "company_name" in response.context["form"].errors
        assert not CompanyVerification.objects.exists()
    else:
        assert response.status_code == 302, response.context["form"].errors
        assert CompanyVerification.objects.get().company_name == accepted
    create = CreateCompanyForm(data={"name": typed})
    assert create.is_valid() == (accepted is not None), create.errors
    if accepted is not None:
        assert create.cleaned_data["name"] == accepted


@pytest.mark.parametrize(("typed", "accepted"), PERSON_NAMES)
def test_person_names_through_the_form(typed, accepted):
    form = PersonForm(data={"name": typed})
    form.is_valid()
    if accepted is None:
        assert "name" in form.errors
    else:
        assert "name" not in form.errors and form.cleaned_data["name"] == accepted


@pytest.mark.parametrize(("typed", "accepted"), [c for c in COMPANY_NAMES if c[1]])
def test_accepted_company_names_get_their_official_seal(
    in_company, company, operator, typed, accepted
):
    post_company(in_company, company_name=typed)
    case = CompanyVerification.objects.get()
    response = decide(in_company, operator, "company", case)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.APPROVED
    seal = Seal.objects.get(company=company, kind=Seal.Kind.OFFICIAL)
    assert seal.name == accepted and seal.image


@pytest.mark.parametrize("bad", [LONG, EMOJI, RLO])
def test_an_approval_whose_seal_cannot_be_drawn_says_why_and_leaves_nothing(
    in_company, company, applicant, operator, bad
):
    """A case stored before the forms checked names (or by any other path) cannot be approved:
    the operator sees why, nothing is issued, and the case can still be rejected."""
    case = CompanyVerification(
        applicant=applicant,
        company=company,
        state=State.PENDING_REVIEW,
        company_name=bad,
        uscc=USCC,
        legal_rep_name="张三",
        licence=upload("licence.png"),
        method="letter",
    )
    case.set_legal_rep_id("11010519491231002X", "1101********002X")
    case.save()
    company.status = Company.Status.PENDING
    company.save()
    in_company.force_login(operator)
    url = reverse("verification:case", args=["company", case.pk])
    response = in_company.post(
        url, {"decision": "approve", "reason": ""}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "official seal cannot be drawn" in text
    case.refresh_from_db()
    company.refresh_from_db()
    assert case.state == State.PENDING_REVIEW and "cannot be drawn" in case.last_error
    assert company.status == Company.Status.PENDING and not company.uscc
    assert not Certificate.objects.exists() and not Seal.objects.exists()
    assert Evidence.objects.filter(case_id=case.pk, step="review", result="blocked").exists()
    assert not Evidence.objects.filter(case_id=case.pk, result="approved").exists()
    # still reviewable: the operator rejects it with the reason
    decide(in_company, operator, "company", case, decision="reject", reason="名称无法制章")
    case.refresh_from_db()
    assert case.state == State.REJECTED


def test_a_dotted_name_gets_the_legal_rep_seal_on_consent(in_company, company, applicant, operator):
    """买买提·艾力 as legal representative: verified, confirmed, and the seal drawn."""
    log_in(in_company, applicant, company)
    post_person(in_company, name="买买提·艾力")
    from chop.verification.models import PersonVerification

    decide(in_company, operator, "person", PersonVerification.objects.get())
    log_in(in_company, applicant, company)
    post_company(in_company, method="legal_rep", legal_rep_name="买买提・艾力")
    case = CompanyVerification.objects.get()
    decide(in_company, operator, "company", case)
    case.refresh_from_db()
    assert case.state == State.APPROVED, case.reason
    log_in(in_company, applicant, company)
    in_company.post(reverse("verification:legal_rep"), {"action": "send"})
    in_company.post(reverse("verification:legal_rep"), {"code": outbox.last_code("13900000011")})
    seal = Seal.objects.get(company=company, kind=Seal.Kind.LEGAL_REP)
    assert seal.name == "买买提·艾力"


def test_a_correct_deposit_whose_seal_cannot_be_drawn_does_not_500(
    in_company, company, applicant, operator
):
    from .test_flows import _deposit_amount

    post_company(in_company, method="deposit")
    case = CompanyVerification.objects.get()
    decide(in_company, operator, "company", case)
    # a name stored before the forms checked it
    CompanyVerification.objects.filter(pk=case.pk).update(company_name=EMOJI)
    log_in(in_company, applicant, company)
    response = in_company.post(
        reverse("verification:deposit", args=[case.pk]), {"amount": _deposit_amount()}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    company.refresh_from_db()
    assert case.state == State.PENDING_AUTHORITY and case.last_error
    assert company.status == Company.Status.PENDING
    assert not Certificate.objects.exists() and not Seal.objects.exists()
    assert Evidence.objects.filter(case_id=case.pk, result="blocked").exists()


def test_a_legal_rep_case_whose_seal_cannot_be_drawn_stays_in_review(
    in_company, company, applicant, operator
):
    post_company(in_company, method="legal_rep")
    case = CompanyVerification.objects.get()
    CompanyVerification.objects.filter(pk=case.pk).update(company_name=RLO)
    in_company.force_login(operator)
    response = in_company.post(
        reverse("verification:case", args=["company", case.pk]),
        {"decision": "approve", "reason": ""},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.PENDING_REVIEW and case.last_error
    assert not Seal.objects.exists()
