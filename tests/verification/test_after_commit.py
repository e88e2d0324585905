"""Side effects follow the commit: messages, certificates, provider calls.

A decision that rolls back must have told nobody and must leave no certificate that OCSP calls
good; provider calls run as tasks after the commit, not inside the request's transaction.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chop.accounts import outbox
from chop.orgs.models import Company
from chop.seals import issuance
from chop.seals.models import Certificate, Seal
from chop.verification import notify, services, tasks
from chop.verification.models import CompanyVerification, Evidence, PersonVerification
from chop.verification.states import State

from .conftest import LEGAL_REP_ID, USCC, upload

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "13900000011"  # the applicant fixture's login


class Boom(Exception):
    pass


def person_case(applicant) -> PersonVerification:
    return services.submit_person(
        applicant,
        services.PersonInput(
            name="张三",
            id_number=LEGAL_REP_ID,
            id_number_masked="110105********002X",
            phone=PHONE,
            id_front=upload("front.png"),
            id_back=upload("back.png"),
        ),
    )


def company_case(applicant, company, method="letter") -> CompanyVerification:
    extra = (
        {
            "bank_account_name": "深圳示例有限公司",
            "bank_name": "招商银行",
            "bank_account": "6222000011112222",
        }
        if method == "deposit"
        else {}
    )
    return services.submit_company(
        applicant,
        company,
        services.CompanyInput(
            company_name="深圳示例有限公司",
            uscc=USCC,
            legal_rep_name="张三",
            legal_rep_id=LEGAL_REP_ID,
            legal_rep_id_masked="110105********002X",
            licence=upload("licence.png"),
            method=method,
            letter=upload("letter.png") if method == "letter" else None,
            **extra,
        ),
    )


@pytest.fixture
def issued(monkeypatch):
    """The company credentials the platform CA issues during the test."""
    ca = issuance.platform_ca()
    made = []
    real = ca.issue_company

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(ca, "issue_company", spy)
    return made


# ------------------------------------------------------------------------------------ messages


def test_a_rolled_back_decision_sends_no_message(applicant, operator):
    case = person_case(applicant)
    assert PersonVerification.objects.get(pk=case.pk).state == State.PENDING_REVIEW
    before = len(outbox.messages(PHONE))

    with pytest.raises(Boom), transaction.atomic():
        services.decide_person(case, approve=False, operator=operator, reason="照片不清楚")
        raise Boom

    assert len(outbox.messages(PHONE)) == before
    assert PersonVerification.objects.get(pk=case.pk).state == State.PENDING_REVIEW

    services.decide_person(case, approve=False, operator=operator, reason="照片不清楚")
    assert len(outbox.messages(PHONE)) == before + 1  # the committed decision is told


# -------------------------------------------------------------------------------- certificates


def _assert_gone(credentials) -> None:
    """The CA has no record of them (OCSP, asked as a relying party asks, says "unknown") and
    their keys are not stored: they rolled back with the decision's transaction."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    from chop.pki import CustodyError, PlatformCA
    from chop.pkistate.store import DatabaseCAStore

    ca = issuance.platform_ca()
    fresh = PlatformCA.load(DatabaseCAStore(), settings.CHOP_KEK)  # another process's view
    assert credentials, "the approval should have issued a certificate before failing"
    for credential in credentials:
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(credential.certificate, ca.issuing_certificate, hashes.SHA256())
            .build()
        )
        answer = ocsp.load_der_ocsp_response(
            ca.ocsp_respond(request.public_bytes(serialization.Encoding.DER))
        )
        assert answer.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
        assert ca.status(credential.serial).status == "unknown"
        with pytest.raises(CustodyError):
            fresh.file_custody.private_key(credential.key_ref)


def test_approval_failing_after_issuance_leaves_no_certificate(
    applicant, company, operator, monkeypatch, issued
):
    case = company_case(applicant, company)

    def fail(*args, **kwargs):
        raise Boom("the seal image could not be stored")

    monkeypatch.setattr(issuance, "_create_generated_seal", fail)
    with pytest.raises(Boom):
        services.decide_company(case, approve=True, operator=operator)

    assert not Certificate.objects.exists() and not Seal.objects.exists()
    assert CompanyVerification.objects.get(pk=case.pk).state == State.PENDING_REVIEW
    assert Company.objects.get(pk=company.pk).status == Company.Status.PENDING
    _assert_gone(issued)


def test_approval_failing_after_the_seal_is_made_leaves_no_certificate(
    applicant, company, operator, monkeypatch, issued
):
    """The failure comes later in the same decision, after issuance returned."""
    case = company_case(applicant, company)
    monkeypatch.setattr(notify, "company_decided", lambda case: (_ for _ in ()).throw(Boom))

    with pytest.raises(Boom):
        services.decide_company(case, approve=True, operator=operator)

    assert not Certificate.objects.exists() and not Seal.objects.exists()
    _assert_gone(issued)


def test_committed_approval_keeps_its_certificate_good(applicant, company, operator):
    case = company_case(applicant, company)
    services.decide_company(case, approve=True, operator=operator)
    cert = Certificate.objects.get(company=company)
    assert issuance.platform_ca().status(int(cert.serial)).status == "good"


# ---------------------------------------------------------------------------- provider tasks


@pytest.fixture
def queued(settings):
    """A task backend that only records what was enqueued."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return default_task_backend


def test_submission_returns_with_the_case_pending_and_the_provider_call_queued(
    applicant, company, queued
):
    case = company_case(applicant, company)

    assert CompanyVerification.objects.get(pk=case.pk).state == State.PENDING_PROVIDER
    assert not Evidence.objects.filter(case_type="company", case_id=case.pk).exists()
    [result] = queued.results
    assert result.task.func is tasks.ask_registry_provider.func and result.args == [case.pk]

    tasks.ask_registry_provider.call(case.pk)  # what the worker does
    assert CompanyVerification.objects.get(pk=case.pk).state == State.PENDING_REVIEW


def test_a_rolled_back_submission_queues_nothing(applicant, queued):
    with pytest.raises(Boom), transaction.atomic():
        person_case(applicant)
        raise Boom
    assert queued.results == []


def test_the_deposit_is_sent_by_a_task_after_the_decision(applicant, company, operator, queued):
    case = company_case(applicant, company, method="deposit")
    tasks.ask_registry_provider.call(case.pk)  # the review provider: an operator compares
    queued.clear()

    services.decide_company(case, approve=True, operator=operator)

    case.refresh_from_db()
    assert case.state == State.PENDING_AUTHORITY and not case.deposit_sent_at
    [result] = queued.results
    assert result.task.func is tasks.send_deposit.func
    tasks.send_deposit.call(case.pk)
    case.refresh_from_db()
    assert case.deposit_sent_at and case.deposit_tries_left == 3
    tasks.send_deposit.call(case.pk)  # a second run (retry, duplicate) sends nothing more
    assert Evidence.objects.filter(case_id=case.pk, step="deposit_sent").count() == 1


@pytest.mark.parametrize("kind", ["person", "company"])
def test_a_provider_answer_after_the_case_moved_changes_nothing(
    kind, applicant, company, operator, queued
):
    """Both provider calls go through one step (``steps.take_provider_answer``): an answer that
    comes late or twice finds the case decided and neither moves it nor adds evidence."""
    if kind == "person":
        case, ask, decide, step = (
            person_case(applicant),
            tasks.ask_identity_provider,
            services.decide_person,
            "identity",
        )
    else:
        case, ask, decide, step = (
            company_case(applicant, company),
            tasks.ask_registry_provider,
            services.decide_company,
            "registry",
        )
    ask.call(case.pk)  # the review provider: an operator decides
    decide(case, approve=False, operator=operator, reason="照片不清楚")
    evidence = Evidence.objects.filter(case_type=kind, case_id=case.pk)
    before = list(evidence.values_list("pk", flat=True))

    assert ask.call(case.pk) == State.REJECTED  # the same task again, after the decision

    case.refresh_from_db()
    assert case.state == State.REJECTED and case.reason == "照片不清楚"
    assert list(evidence.values_list("pk", flat=True)) == before
    assert evidence.filter(step=step).count() == 1


def test_retry_waits_longer_after_each_failure(applicant, queued):
    case = person_case(applicant)  # queued, so still waiting for the provider
    assert services.retry_delay(0) == services.retry_delay(1) == timedelta(minutes=1)
    assert services.retry_delay(3) == timedelta(minutes=4)
    assert services.retry_delay(50) == timedelta(hours=1)

    assert services.retry_providers() == 0  # just submitted: not due yet
    PersonVerification.objects.filter(pk=case.pk).update(
        updated_at=timezone.now() - timedelta(minutes=2)
    )
    assert services.retry_providers() == 1
    assert PersonVerification.objects.get(pk=case.pk).state == State.PENDING_REVIEW


def test_retry_command_enqueues_the_periodic_task(applicant, queued):
    from django.core.management import call_command

    call_command("retry_providers")
    [result] = queued.results
    assert result.task.func is tasks.retry_pending_providers.func
