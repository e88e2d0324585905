"""Person and company verification end to end through the views, as applicant and operator."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.urls import reverse

from chop.accounts import otp, outbox
from chop.audit.models import AuditEvent
from chop.orgs.models import Company
from chop.seals.issuance import verify_certificate
from chop.seals.models import Certificate, Seal
from chop.verification.models import CompanyVerification, Evidence, PersonVerification
from chop.verification.states import State
from tests.conftest import log_in

from .conftest import LEGAL_REP_ID, USCC, upload

pytestmark = pytest.mark.django_db


def post_person(client, phone="13900000011", name="张三", id_number=LEGAL_REP_ID, **extra):
    otp.issue_code(phone, "confirm")
    data = {
        "name": name,
        "id_number": id_number,
        "phone": phone,
        "code": outbox.last_code(phone),
        "id_front": upload("front.png"),
        "id_back": upload("back.png"),
    }
    data.update(extra)
    return client.post(reverse("verification:person"), data)


def post_company(client, method="letter", uscc=USCC, **extra):
    data = {
        "company_name": "深圳示例有限公司",
        "uscc": uscc,
        "legal_rep_name": "张三",
        "legal_rep_id": LEGAL_REP_ID,
        "licence": upload("licence.png"),
        "method": method,
    }
    if method == "letter":
        data["letter"] = upload("letter.png")
    if method == "deposit":
        data.update(
            bank_account_name="深圳示例有限公司",
            bank_name="招商银行深圳分行",
            bank_account="6222000011112222",
        )
    data.update(extra)
    return client.post(reverse("verification:company"), data)


def decide(client, operator, kind, case, decision="approve", reason=""):
    client.force_login(operator)
    return client.post(
        reverse("verification:case", args=[kind, case.pk]), {"decision": decision, "reason": reason}
    )


# ------------------------------------------------------------------------------------- persons


def test_person_goes_to_review_and_operator_approves(client, applicant, operator):
    client.force_login(applicant)
    response = post_person(client)
    assert response.status_code == 302
    case = PersonVerification.objects.get(applicant=applicant)
    assert case.state == State.PENDING_REVIEW
    # the ID number is sealed: not in any column in clear, but readable for the operator
    row = PersonVerification.objects.filter(pk=case.pk).values().get()
    assert all(LEGAL_REP_ID not in str(v) for v in row.values())
    assert case.id_number == LEGAL_REP_ID and case.id_number_masked.endswith("002X")
    assert Evidence.objects.filter(
        case_type="person",
        case_id=case.pk,
        step="identity",
        provider="review",
        result="needs_review",
    ).exists()

    client.force_login(operator)
    page = client.get(reverse("verification:case", args=["person", case.pk]))
    assert LEGAL_REP_ID in page.content.decode()
    front = client.get(reverse("verification:file", args=["person", case.pk, "id_front"]))
    assert b"".join(front.streaming_content).startswith(b"\x89PNG")

    decide(client, operator, "person", case)
    case.refresh_from_db()
    applicant.refresh_from_db()
    assert case.state == State.APPROVED and case.decided_by == operator
    assert applicant.name == "张三"
    review = Evidence.objects.get(case_type="person", case_id=case.pk, step="review")
    assert review.operator == operator and review.result == "approved"
    assert (
        len(review.inputs["id_front"]) == 64 and review.inputs["id_number"] == case.id_number_hash
    )
    assert AuditEvent.objects.filter(action="verification.person_approved", actor=operator).exists()
    assert any(
        "approved" in m["subject"] or "通过" in m["subject"] for m in outbox.messages("13900000011")
    )


def test_rejection_needs_a_reason_and_allows_resubmission(client, applicant, operator):
    client.force_login(applicant)
    post_person(client)
    case = PersonVerification.objects.get()
    response = decide(client, operator, "person", case, decision="reject", reason="")
    assert response.status_code == 200  # form shown again with the error
    case.refresh_from_db()
    assert case.state == State.PENDING_REVIEW
    decide(
        client, operator, "person", case, decision="reject", reason="照片模糊 / photo is blurred"
    )
    case.refresh_from_db()
    assert case.state == State.REJECTED and "blurred" in case.reason
    client.force_login(applicant)
    page = client.get(reverse("verification:person")).content.decode()
    assert "blurred" in page
    assert post_person(client).status_code == 302
    assert PersonVerification.objects.filter(applicant=applicant).count() == 2


def test_deciding_twice_is_refused_clearly(client, applicant, operator):
    client.force_login(applicant)
    post_person(client)
    case = PersonVerification.objects.get()
    decide(client, operator, "person", case)
    response = client.post(
        reverse("verification:case", args=["person", case.pk]),
        {"decision": "reject", "reason": "late"},
        follow=True,
    )
    case.refresh_from_db()
    assert case.state == State.APPROVED
    assert "cannot become" in response.content.decode() or "不能" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "11010519491231002Y"),  # wrong check character
        ("id_number", "110105" + "20991231" + "0021"),  # birth date in the future
        ("phone", "12345678901"),
        ("name", "张"),
    ],
)
def test_person_field_errors_create_nothing(client, applicant, field, value):
    client.force_login(applicant)
    kwargs = {field: value}
    if field == "phone":
        response = client.post(
            reverse("verification:person"),
            {
                "name": "张三",
                "id_number": LEGAL_REP_ID,
                "phone": value,
                "code": "123456",
                "id_front": upload(),
                "id_back": upload(),
            },
        )
    else:
        response = post_person(client, **kwargs)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not PersonVerification.objects.exists()


def test_wrong_code_is_a_field_error(client, applicant):
    client.force_login(applicant)
    otp.issue_code("13900000011", "confirm")
    wrong = "000000" if outbox.last_code("13900000011") != "000000" else "111111"
    response = client.post(
        reverse("verification:person"),
        {
            "name": "张三",
            "id_number": LEGAL_REP_ID,
            "phone": "13900000011",
            "code": wrong,
            "id_front": upload(),
            "id_back": upload(),
        },
    )
    assert "code" in response.context["form"].errors
    assert not PersonVerification.objects.exists()


def test_uploads_that_are_not_photos_are_refused(client, applicant):
    import io

    from PIL import Image

    client.force_login(applicant)
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")  # 144 Mpx, a few kB on disk
    response = post_person(
        client,
        id_front=upload("bomb.png", bomb.getvalue()),
        id_back=upload("notes.png", b"just text, not an image"),
    )
    errors = response.context["form"].errors
    assert "id_front" in errors and "id_back" in errors
    assert not PersonVerification.objects.exists()


# ----------------------------------------------------------------------------------- companies


def test_company_with_letter_is_verified_and_gets_its_official_seal(
    in_company, company, applicant, operator
):
    response = post_company(in_company, method="letter")
    assert response.status_code == 302, response.context and response.context["form"].errors
    case = CompanyVerification.objects.get(company=company)
    company.refresh_from_db()
    assert case.state == State.PENDING_REVIEW and company.status == Company.Status.PENDING

    decide(in_company, operator, "company", case)
    case.refresh_from_db()
    company.refresh_from_db()
    assert case.state == State.APPROVED
    assert company.status == Company.Status.VERIFIED and company.uscc == USCC

    seal = Seal.objects.get(company=company, kind=Seal.Kind.OFFICIAL)
    assert seal.status == Seal.Status.ACTIVE and len(seal.code) == 13
    assert seal.spec["bottom_text"] == seal.code  # the code printed on the seal is its own
    assert seal.image.read(8) == b"\x89PNG\r\n\x1a\n"
    cert = seal.certificate
    assert "深圳示例有限公司" in cert.subject and USCC in cert.subject
    ok, path = verify_certificate(cert)
    assert ok, path
    actions = set(AuditEvent.objects.filter(company=company).values_list("action", flat=True))
    assert {
        "verification.company_submitted",
        "company.verified",
        "certificate.issued",
        "seal.created",
    } <= actions

    log_in(in_company, applicant, company)
    page = in_company.get(reverse("seals")).content.decode()
    assert seal.code in page
    detail = in_company.get(reverse("seal_detail", args=[seal.pk])).content.decode()
    assert cert.serial_hex in detail


def test_legal_rep_method_waits_for_the_person_then_issues_both_seals(
    in_company, company, applicant, operator
):
    post_company(in_company, method="legal_rep")
    case = CompanyVerification.objects.get(company=company)
    decide(in_company, operator, "company", case)
    case.refresh_from_db()
    assert case.state == State.PENDING_AUTHORITY  # registry fine, person not yet verified

    log_in(in_company, applicant, company)
    post_person(in_company)
    person = PersonVerification.objects.get(applicant=applicant)
    decide(in_company, operator, "person", person)
    case.refresh_from_db()
    assert case.state == State.APPROVED
    # the company is verified; the legal representative's own seal waits for their consent
    kinds = set(Seal.objects.filter(company=company).values_list("kind", flat=True))
    assert kinds == {Seal.Kind.OFFICIAL}
    log_in(in_company, applicant, company)
    page = in_company.get(reverse("seals")).content.decode()
    assert 'id="legal-rep-notice"' in page and reverse("verification:legal_rep") in page
    in_company.post(reverse("verification:legal_rep"), {"action": "send"})
    in_company.post(reverse("verification:legal_rep"), {"code": outbox.last_code("13900000011")})
    kinds = set(Seal.objects.filter(company=company).values_list("kind", flat=True))
    assert kinds == {Seal.Kind.OFFICIAL, Seal.Kind.LEGAL_REP}
    rep_seal = Seal.objects.get(company=company, kind=Seal.Kind.LEGAL_REP)
    assert rep_seal.owner == applicant
    assert LEGAL_REP_ID not in rep_seal.certificate.pem  # only a salted hash goes in the cert
    assert verify_certificate(rep_seal.certificate)[0]


def test_legal_rep_method_rejects_a_different_person(in_company, company, applicant, operator):
    client = in_company
    client.force_login(applicant)
    post_person(client, name="李四", id_number="440524198001010013")
    decide(client, operator, "person", PersonVerification.objects.get())
    log_in(client, applicant, company)
    post_company(client, method="legal_rep")
    case = CompanyVerification.objects.get(company=company)
    decide(client, operator, "company", case)
    case.refresh_from_db()
    assert case.state == State.REJECTED
    assert "match" in case.reason.lower() or "不一致" in case.reason
    assert not Seal.objects.filter(company=company).exists()


def _deposit_amount(phone_or_outbox_all=None) -> str:
    for m in reversed(outbox.messages()):
        if "amount_yuan" in m:
            return m["amount_yuan"]
        body = m.get("body", "")
        if "¥0." in body:
            return body.split("¥", 1)[1][:4]
    raise AssertionError("no deposit in the outbox")


def test_micro_deposit_three_tries(in_company, company, applicant, operator):
    post_company(in_company, method="deposit")
    case = CompanyVerification.objects.get(company=company)
    decide(in_company, operator, "company", case)
    case.refresh_from_db()
    assert case.state == State.PENDING_AUTHORITY and case.deposit_sent_at
    assert case.deposit_encrypted and "amount" not in case.deposit_encrypted
    amount = _deposit_amount()
    wrong = "0.01" if amount != "0.01" else "0.02"
    log_in(in_company, applicant, company)
    url = reverse("verification:deposit", args=[case.pk])
    in_company.post(url, {"amount": wrong})
    case.refresh_from_db()
    assert case.deposit_tries_left == 2 and case.state == State.PENDING_AUTHORITY
    in_company.post(url, {"amount": "abc"})  # not an amount: does not use a try
    case.refresh_from_db()
    assert case.deposit_tries_left == 2
    in_company.post(url, {"amount": amount})
    case.refresh_from_db()
    assert case.state == State.APPROVED
    assert Seal.objects.filter(company=company, kind=Seal.Kind.OFFICIAL, status="active").exists()


def test_micro_deposit_locked_after_three_wrong(in_company, company, applicant, operator):
    post_company(in_company, method="deposit")
    case = CompanyVerification.objects.get(company=company)
    decide(in_company, operator, "company", case)
    amount = _deposit_amount()
    wrongs = [a for a in ("0.01", "0.02", "0.03", "0.04") if a != amount][:3]
    log_in(in_company, applicant, company)
    for a in wrongs:
        in_company.post(reverse("verification:deposit", args=[case.pk]), {"amount": a})
    case.refresh_from_db()
    company.refresh_from_db()
    assert case.state == State.REJECTED
    assert company.status == Company.Status.REJECTED
    assert not Seal.objects.filter(company=company).exists()
    # the right amount after the lock changes nothing
    in_company.post(reverse("verification:deposit", args=[case.pk]), {"amount": amount})
    case.refresh_from_db()
    assert case.state == State.REJECTED


def test_a_uscc_is_verified_only_once(in_company, company, applicant, operator):
    other = Company.objects.create(name="已认证公司", uscc=USCC, status=Company.Status.VERIFIED)
    response = post_company(in_company, method="letter")
    assert response.status_code == 200
    text = response.content.decode()
    assert "invite" in text or "邀请" in text
    assert not CompanyVerification.objects.exists()
    assert other.status == Company.Status.VERIFIED


def test_bad_uscc_is_a_field_error(in_company):
    response = post_company(in_company, uscc="9144030071526726XH")
    assert "uscc" in response.context["form"].errors
    assert not CompanyVerification.objects.exists()


def test_letter_pdf_is_filled_in(in_company):
    response = in_company.get(
        reverse("verification:letter"),
        {"company_name": "深圳示例有限公司", "uscc": USCC, "legal_rep_name": "张三"},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(response.content)
    assert len(doc) == 1
    w, h = doc[0].get_size()
    assert abs(w - 595) < 3 and abs(h - 842) < 3  # A4
    bad = in_company.get(reverse("verification:letter"), {"company_name": "x", "uscc": "123"})
    assert bad.status_code == 302


def test_members_cannot_verify_the_company(client, company, operator):
    from chop.accounts.models import User
    from chop.orgs.access import SESSION_KEY
    from chop.orgs.models import Membership, Role

    member = User.objects.create_user("13900000099", "s3cret-pass-3")
    Membership.objects.create(company=company, user=member, role=Role.MEMBER)
    client.force_login(member)
    s = client.session
    s[SESSION_KEY] = company.pk
    s.save()
    assert post_company(client).status_code == 403
    assert not CompanyVerification.objects.exists()


def test_operator_console_is_invisible_to_others(client, applicant, operator):
    client.force_login(applicant)
    post_person(client)
    case = PersonVerification.objects.get()
    for url in (
        reverse("verification:queue"),
        reverse("verification:case", args=["person", case.pk]),
        reverse("verification:file", args=["person", case.pk, "id_front"]),
    ):
        assert client.get(url).status_code == 404
    client.force_login(operator)
    queue = client.get(reverse("verification:queue"), {"type": "person"})
    assert queue.status_code == 200 and "张三" in queue.content.decode()
    assert (
        "张三"
        not in client.get(reverse("verification:queue"), {"type": "company"}).content.decode()
    )


def test_evidence_is_append_only(client, applicant):
    client.force_login(applicant)
    post_person(client)
    e = Evidence.objects.first()
    e.result = "approved"
    with pytest.raises(ValueError):
        e.save()
    with pytest.raises(ValueError):
        e.delete()


# ---------------------------------------------------------------- an HTTP provider that fails


class _Registry(BaseHTTPRequestHandler):
    mode = "fail"

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if _Registry.mode == "fail":
            self.send_response(503)
            self.end_headers()
            return
        reply = json.dumps(
            {"request_id": body["request_id"], "result": "verified", "reference": "REG-1"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def registry_server(settings):
    server = HTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CHOP_REGISTRY_PROVIDER = "http"
    settings.CHOP_REGISTRY_PROVIDER_URL = f"http://127.0.0.1:{server.server_port}/registry"
    settings.CHOP_REGISTRY_PROVIDER_TOKEN = "t0ken"
    settings.CHOP_REGISTRY_PROVIDER_TIMEOUT = 1.0
    settings.CHOP_REGISTRY_PROVIDER_RETRIES = 1
    yield _Registry
    server.shutdown()


def test_provider_failure_keeps_the_case_pending_and_retry_moves_it(
    in_company, company, operator, registry_server
):
    registry_server.mode = "fail"
    post_company(in_company, method="deposit")
    case = CompanyVerification.objects.get(company=company)
    assert case.state == State.PENDING_PROVIDER
    assert case.last_error  # says why
    assert Evidence.objects.filter(case_type="company", case_id=case.pk, result="error").exists()
    assert not Seal.objects.exists()

    registry_server.mode = "ok"
    in_company.force_login(operator)
    in_company.post(reverse("verification:retry", args=["company", case.pk]))
    case.refresh_from_db()
    # registry verified by the source → straight to the deposit, no operator review needed
    assert case.state == State.PENDING_AUTHORITY and case.registry_passed and case.deposit_sent_at
    assert not Certificate.objects.exists()


def test_demo_company_waits_for_the_demo_operator(client, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    from chop.accounts.models import User
    from chop.verification.demo import DEMO_USCC

    with django_capture_on_commit_callbacks(execute=True):  # the registry task, after commit
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    case = CompanyVerification.objects.get(uscc=DEMO_USCC)
    assert case.state == State.PENDING_REVIEW and case.company.status == Company.Status.PENDING
    assert not Seal.objects.exists()  # nothing is verified that nobody verified
    operator = User.objects.get(login="operator@chop.local")
    decide(client, operator, "company", case)
    case.refresh_from_db()
    assert case.state == State.APPROVED
    assert Seal.objects.get(company=case.company, kind=Seal.Kind.OFFICIAL).status == "active"


def test_evidence_codes_are_labelled_in_the_operators_language(client, applicant, operator):
    """Evidence keeps stable codes; the operator reads labels, in Chinese by default."""
    client.force_login(applicant)
    post_person(client)
    case = PersonVerification.objects.get(applicant=applicant)
    client.force_login(operator)
    url = reverse("verification:case", args=["person", case.pk])
    html = client.get(url).content.decode()
    table = html[html.index('data-testid="evidence-table"') :]
    assert "身份核验" in table and "需人工审核" in table and "核验服务商" in table
    assert ">identity<" not in table and ">needs_review<" not in table
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = english[english.index('data-testid="evidence-table"') :]
    assert "Identity check" in table and "Needs review" in table and "身份核验" not in table
