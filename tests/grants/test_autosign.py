"""Auto-sign authorisations (静默签): the owner's code creates one, its letter is a PDF signed with
the company certificate that pyHanko, pdfsig and qpdf accept, ``may_stamp`` allows the platform
once the letter is signed and refuses it after a revocation through the page, and only the owner
(with a right code, within a year and a positive cap) can create one.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pypdfium2 as pdfium
import pytest
from django.urls import reverse
from django.utils import timezone

from chop.audit.models import AuditEvent
from chop.grants.models import AutoSignAuthorisation
from chop.orgs.models import Role
from chop.orgs.permissions import Actor, may_stamp
from tests.contracts.conftest import _commit_work_per_request  # noqa: F401  (autouse)
from tests.contracts.signing_support import (
    add_party,
    official_seal,
    outbox_codes,
    pyhanko_report,
    root_pem,
    send,
    upload,
)
from tests.seals.conftest import verified_company  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(verified_company, make_user):  # noqa: F811
    owner = make_user("甲方老板", email="boss@example.com")
    admin = make_user("甲方管理员")
    keeper = make_user("甲方印章管理员")
    member = make_user("甲方员工")
    company = verified_company(
        "甲方科技有限公司",
        owner=owner,
        members={admin: Role.ADMIN, keeper: Role.SEAL_KEEPER, member: Role.MEMBER},
    )
    other_owner = make_user("乙方老板")
    other = verified_company("乙方贸易有限公司", owner=other_owner)
    return {
        "company": company,
        "seal": official_seal(company),
        "owner": owner,
        "admin": admin,
        "keeper": keeper,
        "member": member,
        "other": other,
        "other_owner": other_owner,
    }


def local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def terms(**over) -> dict:
    now = timezone.now()
    data = {
        "step": "terms",
        "contract_types": "采购合同、劳务合同",
        "starts_at": "",
        "ends_at": local(now + dt.timedelta(days=300)),
        "daily_cap": "50",
        "note": "ERP 自动盖采购合同",
        "channel": "sms",
    }
    data.update(over)
    return data


def authorise(client, seal, owner, *, code=None, **over):
    """Post the terms, then the code that reached the owner's phone; return the last response."""
    url = reverse("seal_autosign_new", args=[seal.pk])
    resp = client.post(url, terms(**over))
    assert resp.status_code == 302, resp.content.decode()[-2000:]
    if code is None:
        code = outbox_codes(owner.phone)[-1]
    return client.post(url, {"step": "code", "code": code})


def contract_of(world, contract_type="采购合同"):
    from chop.contracts.models import Contract

    contract = upload(world["company"], world["owner"])
    Contract.objects.filter(pk=contract.pk).update(contract_type=contract_type)
    add_party(contract, company=world["company"], user=world["keeper"])
    add_party(contract, company=world["other"], user=world["other_owner"])
    return send(contract, world["owner"])


def test_the_owner_authorises_with_a_code_and_the_signed_letter_validates(world, login, tmp_path):
    seal, owner = world["seal"], world["owner"]
    client = login(owner, world["company"])
    page = client.get(reverse("seal_autosign", args=[seal.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="autosign-empty"' in page.content.decode()

    resp = authorise(client, seal, owner)
    assert resp.status_code == 302
    auth = AutoSignAuthorisation.objects.get()
    assert auth.seal == seal and auth.company == world["company"]
    assert auth.contract_types == ["采购合同", "劳务合同"] and auth.daily_cap == 50
    assert auth.confirmed_by == owner and auth.confirm_method == "sms"
    assert auth.ends_at - auth.starts_at <= dt.timedelta(days=366)
    assert AuditEvent.objects.filter(action="autosign.authorised", object_id=str(auth.pk)).exists()

    # the letter task ran after the commit: signed, stored, and the authorisation works
    auth.refresh_from_db()
    assert auth.letter_signed_at is not None and auth.state == "active", AuditEvent.objects.filter(
        action="autosign.letter_failed"
    ).values_list("data", flat=True)
    letter = client.get(reverse("seal_autosign_letter", args=[auth.pk]))
    assert letter.status_code == 200
    assert letter["Content-Disposition"].startswith("attachment;")
    assert letter["Content-Type"] == "application/pdf"
    path = tmp_path / "letter.pdf"
    path.write_bytes(letter.content)
    import hashlib

    assert hashlib.sha256(letter.content).hexdigest() == auth.letter_sha256

    report = pyhanko_report(path)
    assert len(report.signatures) == 1, report.to_dict()
    sig = report.signatures[0]
    assert sig.intact and sig.valid and sig.trusted and not sig.problems, sig
    assert report.verdict == "valid", report.summary

    doc = pdfium.PdfDocument(str(path))
    try:
        text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()
    assert seal.code in text
    assert world["company"].name in text
    assert "静默签授权书" in text and "授权单位（盖章）" in text

    qpdf = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert qpdf.returncode == 0 and "No syntax or stream encoding errors found" in qpdf.stdout

    listing = client.get(reverse("seal_autosign", args=[seal.pk])).content.decode()
    assert f'id="as-{auth.pk}"' in listing and 'data-state="active"' in listing
    assert reverse("seal_autosign_letter", args=[auth.pk]) in listing


def test_the_letter_validates_in_pdfsig(world, login, tmp_path, nss_db):
    seal, owner = world["seal"], world["owner"]
    client = login(owner, world["company"])
    authorise(client, seal, owner)
    auth = AutoSignAuthorisation.objects.get()
    path = tmp_path / "letter.pdf"
    path.write_bytes(client.get(reverse("seal_autosign_letter", args=[auth.pk])).content)
    out = subprocess.run(
        ["pdfsig", "-nssdir", nss_db(root_pem()), "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
    )
    text = out.stdout + out.stderr
    assert len(re.findall(r"Signature Validation: Signature is Valid\.", text)) == 1, text
    assert len(re.findall(r"Certificate Validation: Certificate is Trusted\.", text)) == 1, text


def test_may_stamp_allows_autosign_once_signed_and_refuses_after_revocation(world, login, settings):
    seal, owner = world["seal"], world["owner"]
    contract = contract_of(world)
    client = login(owner, world["company"])
    authorise(client, seal, owner)
    auth = AutoSignAuthorisation.objects.get()

    allowed = may_stamp(Actor.autosign(), seal, contract)
    assert allowed and allowed.kind == "autosign" and allowed.authorisation.pk == auth.pk
    # out of scope: another contract type
    assert not may_stamp(Actor.autosign(), seal, contract_of(world, "借款合同"))

    admin = login(world["admin"], world["company"])
    resp = admin.post(reverse("seal_autosign_revoke", args=[auth.pk]))
    assert resp.status_code == 302
    auth.refresh_from_db()
    assert auth.revoked_at is not None and auth.revoked_by == world["admin"]
    refused = may_stamp(Actor.autosign(), seal, contract)
    assert not refused
    assert AuditEvent.objects.filter(action="autosign.revoked", object_id=str(auth.pk)).count() == 1
    # the owner is told (the admin who revoked it is not)
    outbox = settings.CHOP_OUTBOX.read_text(encoding="utf-8").splitlines()
    assert any("boss@example.com" in line and "撤销" in line for line in outbox)
    assert not any(world["admin"].phone in line and "撤销" in line for line in outbox)
    # a second revocation changes nothing
    admin.post(reverse("seal_autosign_revoke", args=[auth.pk]))
    assert AuditEvent.objects.filter(action="autosign.revoked", object_id=str(auth.pk)).count() == 1


def test_before_the_letter_is_signed_the_platform_may_not_stamp(world, login, monkeypatch):
    from chop.grants import letter

    def broken(*args, **kwargs):
        raise letter.LetterError("office.failed")

    working = letter.build

    monkeypatch.setattr(letter, "build", broken)
    seal, owner = world["seal"], world["owner"]
    contract = contract_of(world)
    client = login(owner, world["company"])
    authorise(client, seal, owner)
    auth = AutoSignAuthorisation.objects.get()
    assert auth.state == "preparing" and not auth.letter
    refused = may_stamp(Actor.autosign(), seal, contract)
    assert not refused
    page = client.get(reverse("seal_autosign", args=[seal.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="letter-problem"' in page.content.decode()
    assert "office.failed" in page.content.decode()

    monkeypatch.setattr(letter, "build", working)
    resp = client.post(reverse("seal_autosign_retry", args=[auth.pk]))
    assert resp.status_code == 302
    auth.refresh_from_db()
    assert auth.state == "active" and auth.letter_sha256
    assert may_stamp(Actor.autosign(), seal, contract).kind == "autosign"
    # a task that runs again does not sign twice
    from chop.grants.tasks import make_autosign_letter

    first = auth.letter_sha256
    make_autosign_letter.call(auth.pk)
    auth.refresh_from_db()
    assert auth.letter_sha256 == first
    assert AuditEvent.objects.filter(action="autosign.letter_signed").count() == 1


def test_a_wrong_code_creates_nothing(world, login):
    seal, owner = world["seal"], world["owner"]
    client = login(owner, world["company"])
    right = None
    resp = client.post(reverse("seal_autosign_new", args=[seal.pk]), terms())
    assert resp.status_code == 302
    right = outbox_codes(owner.phone)[-1]
    wrong = "000000" if right != "000000" else "111111"
    resp = client.post(
        reverse("seal_autosign_new", args=[seal.pk]),
        {"step": "code", "code": wrong},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 400
    assert 'class="field has-error"' in resp.content.decode()
    assert AutoSignAuthorisation.objects.count() == 0


def test_the_terms_come_from_the_session_not_the_second_post(world, login):
    seal, owner = world["seal"], world["owner"]
    client = login(owner, world["company"])
    client.post(reverse("seal_autosign_new", args=[seal.pk]), terms(daily_cap="5"))
    code = outbox_codes(owner.phone)[-1]
    client.post(
        reverse("seal_autosign_new", args=[seal.pk]),
        {"step": "code", "code": code, "daily_cap": "10000", "contract_types": ""},
    )
    auth = AutoSignAuthorisation.objects.get()
    assert auth.daily_cap == 5 and auth.contract_types == ["采购合同", "劳务合同"]


def test_a_code_step_without_terms_goes_back_to_the_form(world, login):
    client = login(world["owner"], world["company"])
    url = reverse("seal_autosign_new", args=[world["seal"].pk])
    resp = client.post(url, {"step": "code", "code": "123456"})
    assert resp.status_code == 302 and resp["Location"] == url
    assert AutoSignAuthorisation.objects.count() == 0


@pytest.mark.parametrize(
    "over, field",
    [
        ({"ends_at": "__400d__"}, "ends_at"),
        ({"daily_cap": "0"}, "daily_cap"),
        ({"daily_cap": "10001"}, "daily_cap"),
        ({"ends_at": "__past__"}, "ends_at"),
    ],
)
def test_terms_beyond_the_limits_are_refused(world, login, over, field):
    now = timezone.now()
    if over.get("ends_at") == "__400d__":
        over = {"ends_at": local(now + dt.timedelta(days=400))}
    elif over.get("ends_at") == "__past__":
        over = {"ends_at": local(now - dt.timedelta(days=1))}
    client = login(world["owner"], world["company"])
    resp = client.post(
        reverse("seal_autosign_new", args=[world["seal"].pk]),
        terms(**over),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 400
    assert outbox_codes(world["owner"].phone) == []  # no code sent for refused terms
    assert AutoSignAuthorisation.objects.count() == 0


@pytest.mark.parametrize("who", ["admin", "keeper", "member"])
def test_only_the_owner_may_authorise(world, login, who):
    client = login(world[who], world["company"])
    url = reverse("seal_autosign_new", args=[world["seal"].pk])
    assert client.get(url).status_code == 403
    assert client.post(url, terms()).status_code == 403
    assert AutoSignAuthorisation.objects.count() == 0
    # every member may see the list, but only the owner is offered the form
    page = client.get(reverse("seal_autosign", args=[world["seal"].pk])).content.decode()
    assert 'data-testid="autosign-new"' not in page


def test_keepers_and_members_may_not_revoke(world, login):
    seal, owner = world["seal"], world["owner"]
    authorise(login(owner, world["company"]), seal, owner)
    auth = AutoSignAuthorisation.objects.get()
    for who in ("keeper", "member"):
        resp = login(world[who], world["company"]).post(
            reverse("seal_autosign_revoke", args=[auth.pk])
        )
        assert resp.status_code == 403
    auth.refresh_from_db()
    assert auth.revoked_at is None


def test_another_company_gets_404(world, login):
    seal, owner = world["seal"], world["owner"]
    authorise(login(owner, world["company"]), seal, owner)
    auth = AutoSignAuthorisation.objects.get()
    outsider = login(world["other_owner"], world["other"])
    for name, arg in (
        ("seal_autosign", seal.pk),
        ("seal_autosign_new", seal.pk),
        ("seal_autosign_letter", auth.pk),
    ):
        assert outsider.get(reverse(name, args=[arg])).status_code == 404, name
    for name in ("seal_autosign_revoke", "seal_autosign_retry"):
        assert outsider.post(reverse(name, args=[auth.pk])).status_code == 404, name
    auth.refresh_from_db()
    assert auth.revoked_at is None


def test_a_persons_legal_rep_seal_cannot_be_authorised(world, login):
    from chop.seals.issuance import ensure_legal_rep_seal

    rep = ensure_legal_rep_seal(world["company"], world["owner"], "甲方老板", "11010519491231002X")
    client = login(world["owner"], world["company"])
    assert client.get(reverse("seal_autosign_new", args=[rep.pk])).status_code == 404


def letter_text(auth) -> str:
    with auth.letter.open("rb") as fh:
        doc = pdfium.PdfDocument(fh.read())
    try:
        return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


@pytest.mark.parametrize("official_active", [True, False])
def test_the_letter_is_signed_by_the_official_seal_else_by_the_authorised_seal(
    world, login, tmp_path, official_active
):
    from chop.seals.models import Seal
    from tests.seals.test_pages import _uploaded

    contract_seal = _uploaded(world["company"], kind="contract", name="合同专用章")
    if not official_active:
        Seal.objects.filter(pk=world["seal"].pk).update(status="disabled")
    authorise(login(world["owner"], world["company"]), contract_seal, world["owner"])
    auth = AutoSignAuthorisation.objects.get()
    assert auth.seal == contract_seal and auth.state == "active"
    signed = AuditEvent.objects.get(action="autosign.letter_signed", object_id=str(auth.pk))
    expected = world["seal"] if official_active else contract_seal
    assert signed.data["signed_with"] == expected.code
    assert signed.data["fallback"] is (not official_active)
    text = letter_text(auth)
    assert contract_seal.code in text
    assert ("暂无有效公章" in text) is (not official_active)
    path = tmp_path / "letter.pdf"
    with auth.letter.open("rb") as fh:
        path.write_bytes(fh.read())
    report = pyhanko_report(path)
    assert report.verdict == "valid", report.summary


def test_an_expired_code_creates_nothing_and_says_so(world, login):
    from chop.accounts.models import OneTimeCode

    seal, owner = world["seal"], world["owner"]
    client = login(owner, world["company"])
    url = reverse("seal_autosign_new", args=[seal.pk])
    assert client.post(url, terms()).status_code == 302
    code = outbox_codes(owner.phone)[-1]
    OneTimeCode.objects.filter(target=owner.phone).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    resp = client.post(url, {"step": "code", "code": code}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 400
    assert "The code has expired" in resp.content.decode()
    assert AutoSignAuthorisation.objects.count() == 0
