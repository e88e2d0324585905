"""Verification events land in the right company's records; operator retries, automatic
rejections and views of personal data are recorded; per-minute limits on phone codes and on
the public OCSP/TSA endpoints."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chop.accounts import outbox
from chop.audit.models import AuditEvent
from chop.orgs.models import Company, Membership, Role
from chop.verification import providers
from chop.verification.models import CompanyVerification, PersonVerification
from chop.verification.states import State
from tests.conftest import log_in

from .test_flows import _deposit_amount, decide, post_company, post_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_company(operator):
    """The operator is also a member of a company of their own, active in their session."""
    c = Company.objects.create(name="运营方自己的公司", created_by=operator)
    Membership.objects.create(company=c, user=operator, role=Role.OWNER)
    return c


def test_person_verification_is_in_no_company_records(
    client, applicant, company, operator, operator_company
):
    log_in(client, applicant, company)  # the applicant's company is her active space
    post_person(client)
    case = PersonVerification.objects.get(applicant=applicant)
    log_in(client, operator, operator_company)  # so is the operator's own
    client.post(
        reverse("verification:case", args=["person", case.pk]),
        {"decision": "approve", "reason": ""},
    )
    events = AuditEvent.objects.filter(action__startswith="verification.person_")
    assert set(events.values_list("action", flat=True)) == {
        "verification.person_submitted",
        "verification.person_approved",
    }
    assert [e.company for e in events] == [None, None]
    assert not AuditEvent.objects.filter(company=operator_company).exists()


def test_operator_actions_land_in_the_cases_company_never_the_operators(
    in_company, company, operator, operator_company, monkeypatch
):
    post_company(in_company, method="letter")
    case = CompanyVerification.objects.get(company=company)
    log_in(in_company, operator, operator_company)
    # opening the case shows the legal representative's ID number in clear: recorded
    assert (
        in_company.get(reverse("verification:case", args=["company", case.pk])).status_code == 200
    )
    resp = in_company.get(reverse("verification:file", args=["company", case.pk, "licence"]))
    assert resp.status_code == 200
    # a retry, with the registry answering "refused": the automatic rejection is recorded too
    CompanyVerification.objects.filter(pk=case.pk).update(state=State.PENDING_PROVIDER)
    monkeypatch.setattr(
        providers,
        "check_company",
        lambda *a, **k: providers.ProviderAnswer(
            providers.REFUSED, "test-registry", "no such company"
        ),
    )
    in_company.post(reverse("verification:retry", args=["company", case.pk]))
    case.refresh_from_db()
    assert case.state == State.REJECTED
    by_action = {e.action: e for e in AuditEvent.objects.filter(company=company)}
    viewed = by_action["verification.personal_data_viewed"]
    assert viewed.actor == operator and viewed.data["fields"] == ["legal_rep_id"]
    assert by_action["verification.file_viewed"].data["field"] == "licence"
    assert by_action["verification.retried"].actor == operator
    rejected = by_action["verification.company_rejected"]
    assert rejected.data["automatic"] is True and rejected.actor is None
    assert not AuditEvent.objects.filter(company=operator_company).exists()


def test_person_case_views_and_refusal_are_recorded_without_a_company(
    client, applicant, operator, operator_company, monkeypatch
):
    client.force_login(applicant)
    post_person(client)
    case = PersonVerification.objects.get(applicant=applicant)
    log_in(client, operator, operator_company)
    client.get(reverse("verification:case", args=["person", case.pk]))
    client.get(reverse("verification:file", args=["person", case.pk, "id_front"]))
    PersonVerification.objects.filter(pk=case.pk).update(state=State.PENDING_PROVIDER)
    monkeypatch.setattr(
        providers,
        "check_person",
        lambda *a, **k: providers.ProviderAnswer(
            providers.REFUSED, "test-idp", "name and ID differ"
        ),
    )
    client.post(reverse("verification:retry", args=["person", case.pk]))
    events = {e.action: e for e in AuditEvent.objects.filter(object_id=str(case.pk))}
    for action in (
        "verification.personal_data_viewed",
        "verification.file_viewed",
        "verification.retried",
        "verification.person_rejected",
    ):
        assert action in events and events[action].company is None, action
    assert events["verification.personal_data_viewed"].data["fields"] == ["id_number"]
    assert events["verification.person_rejected"].data["automatic"] is True


def test_deposit_locked_after_three_wrong_is_recorded(in_company, company, applicant, operator):
    post_company(in_company, method="deposit")
    case = CompanyVerification.objects.get(company=company)
    decide(in_company, operator, "company", case)
    amount = _deposit_amount()
    log_in(in_company, applicant, company)
    for a in [a for a in ("0.01", "0.02", "0.03", "0.04") if a != amount][:3]:
        in_company.post(reverse("verification:deposit", args=[case.pk]), {"amount": a})
    event = AuditEvent.objects.get(action="verification.company_rejected")
    assert event.company == company and event.data == {
        "automatic": True,
        "reason": "too_many_attempts",
    }


def test_phone_codes_on_the_verification_form_are_limited_per_minute(
    client, applicant, settings, monkeypatch
):
    from django.utils import timezone

    start = timezone.now().replace(second=10, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: start)  # one fixed one-minute window
    client.force_login(applicant)
    url = reverse("verification:send_phone_code")
    sent = []
    for i in range(6):
        phone = f"1390000{i:04d}"
        client.post(url, {"phone": phone})
        if outbox.last_code(phone):
            sent.append(phone)
    assert len(sent) == settings.CHOP_VERIFY_CODE_PER_USER_PER_MINUTE == 3
    # per address too: other accounts behind the same address share its limit
    settings.CHOP_VERIFY_CODE_PER_IP_PER_MINUTE = 4
    from chop.accounts.models import User

    other = User.objects.create_user("13900000099", "s3cret-pass-9")
    client.force_login(other)
    client.post(url, {"phone": "13900000100"})
    client.post(url, {"phone": "13900000101"})
    assert outbox.last_code("13900000100") is not None
    assert outbox.last_code("13900000101") is None


def test_ocsp_and_tsa_are_rate_limited_per_address(client, settings, monkeypatch):
    settings.CHOP_PKI_PER_IP_PER_MINUTE = 2
    # One instant, so all requests fall into the same fixed one-minute window.
    from django.utils import timezone

    start = timezone.now().replace(second=10, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: start)
    for _ in range(2):
        assert (
            client.post("/pki/tsa", b"x", content_type="application/timestamp-query").status_code
            != 429
        )
    resp = client.post("/pki/ocsp", b"x", content_type="application/ocsp-request")
    assert resp.status_code == 429 and 1 <= int(resp["Retry-After"]) <= 60
    # another address, and the plain certificate downloads, are not affected
    other = client.post(
        "/pki/ocsp", b"x", content_type="application/ocsp-request", REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code != 429
    assert client.get("/pki/root.cer").status_code == 200
