"""Documents stay private (PRODUCT.md §4): parties from other companies and persons open a sent
contract, but see its document only at their turn, after they acted, or after completion; until
completion only version 1 (never a half-signed copy), after it also the final version. The
initiating company sees every version; outsiders and drafts are 404."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from chop.contracts import documents, participants, previews, sending
from chop.contracts.models import Contract, DocumentVersion
from chop.orgs import permissions
from chop.orgs.models import Role

from .conftest import pdf_file, pdf_pages
from .parties_support import USCC_B, parties

pytestmark = pytest.mark.django_db


def _signed_version(contract: Contract, by) -> DocumentVersion:
    """The next version, as a signing act leaves it (its own bytes and page previews)."""
    data = pdf_pages(2, padding=100 * (contract.versions.count() + 1))  # bytes of its own
    last = contract.current_version()
    version = DocumentVersion(
        contract=contract,
        number=last.number + 1,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        page_count=2,
        page_sizes=last.page_sizes,
        reason=DocumentVersion.Reason.SIGNED,
        created_by=by,
    )
    version.file.save("signed.pdf", ContentFile(data), save=False)
    version.save()
    previews.render_version(version)
    return version


@pytest.fixture
def deal(world, make_user, make_company):
    """A's contract (real PDF, previews) with parties A, B and the person, sent in order; B has a
    plain member too, and company C is no party at all."""
    from chop.orgs.models import Membership

    b_member = make_user("乙方员工")
    Membership.objects.create(company=world["b"], user=b_member, role=Role.MEMBER)
    c_owner = make_user("丙方老板")
    c = make_company("丙方无关有限公司", owner=c_owner)
    contract = documents.create_draft(
        company=world["a"],
        user=world["a_owner"],
        title="保密采购合同",
        upload=pdf_file(pdf_pages(2)),
    )
    previews.render_version(contract.current_version())
    by = world["a_owner"]
    participants.add_initiator(contract, by=by, stamper=world["a_keeper"])
    participants.add_company(contract, by=by, name="乙方贸易有限公司", uscc=USCC_B)
    participants.add_person(contract, by=by, name="张三", contact="zhangsan@example.com")
    return {**world, "contract": contract, "b_member": b_member, "c": c, "c_owner": c_owner}


def _urls(contract, number):
    return {
        "image": reverse("contract_page_image", args=[contract.pk, number, 1, "thumb"]),
        "download": reverse("contract_version_download", args=[contract.pk, number]),
    }


def _status(client, url) -> int:
    return client.get(url).status_code


def _sees(client, contract, number) -> bool:
    """Whether the client gets version ``number``'s page image and file (both, or neither)."""
    urls = _urls(contract, number)
    codes = {_status(client, urls["image"]), _status(client, urls["download"])}
    assert len(codes) == 1, f"image and download disagree for v{number}: {codes}"
    return codes == {200}


def test_the_privacy_matrix_through_a_whole_signing(deal, login, sent):
    contract = deal["contract"]
    a_owner = login(deal["a_owner"], deal["a"])
    b_owner = login(deal["b_owner"])  # opens from the personal space: switched to B's
    b_member = login(deal["b_member"], deal["b"])
    person = login(deal["person"])
    c_owner = login(deal["c_owner"], deal["c"])
    detail = reverse("contract_detail", args=[contract.pk])

    # a draft is the initiator's alone
    for client in (b_owner, b_member, person, c_owner):
        assert _status(client, detail) == 404
        assert not _sees_or_404(client, contract, 1)

    sending.send(contract, by=deal["a_owner"])
    a, b, p = parties(contract)
    # A's turn: B and the person open the page but not the document
    for client in (b_owner, b_member, person):
        resp = client.get(detail)
        assert resp.status_code == 200
        body = resp.content.decode()
        assert 'data-testid="document-hidden"' in body and 'data-testid="page-thumbs"' not in body
        assert _status(client, reverse("contract_page", args=[contract.pk, 1])) == 404
        assert _status(client, reverse("contract_previews", args=[contract.pk])) == 200
        assert not _sees(client, contract, 1)
    assert _status(c_owner, detail) == 404 and not _sees_or_404(c_owner, contract, 1)
    assert _sees(a_owner, contract, 1)

    sending.mark_signed(a, by=deal["a_keeper"])
    _signed_version(contract, deal["a_keeper"])  # v2: A's signature
    # B's turn: every member of B sees version 1, never A's half-signed version 2
    for client in (b_owner, b_member):
        assert _sees(client, contract, 1)
        assert not _sees(client, contract, 2)
        page = client.get(reverse("contract_page", args=[contract.pk, 1])).content.decode()
        assert _urls(contract, 1)["image"].replace("thumb", "page") in page
        body = client.get(detail).content.decode()
        assert 'data-testid="download-v1"' in body and 'data-testid="download-v2"' not in body
        thumbs = client.get(reverse("contract_previews", args=[contract.pk])).content.decode()
        assert _urls(contract, 1)["image"] in thumbs and "/versions/2/" not in thumbs
    assert not _sees(person, contract, 1)  # still waiting
    assert _sees(a_owner, contract, 2)

    sending.mark_signed(b, by=deal["b_owner"])
    _signed_version(contract, deal["b_owner"])  # v3
    assert _sees(person, contract, 1)
    assert not _sees(person, contract, 2) and not _sees(person, contract, 3)
    assert _sees(b_owner, contract, 1) and not _sees(b_owner, contract, 3)  # acted, not complete
    signed_url = reverse("contract_signed_download", args=[contract.pk])
    assert _status(b_owner, signed_url) == 404

    sending.mark_signed(p, by=deal["person"])
    final = _signed_version(contract, deal["person"])  # v4, the final version
    contract.refresh_from_db()
    assert contract.state == "completed"
    for client in (b_owner, b_member, person):
        assert _sees(client, contract, 1) and _sees(client, contract, final.number)
        assert not _sees(client, contract, 2) and not _sees(client, contract, 3)
        resp = client.get(signed_url)
        assert resp.status_code == 200
        assert b"".join(resp.streaming_content) == final.file.open("rb").read()
    assert _sees(a_owner, contract, 2) and _sees(a_owner, contract, 3)
    # after completion a party reads the final version's pages
    thumbs = person.get(reverse("contract_previews", args=[contract.pk])).content.decode()
    assert _urls(contract, final.number)["image"] in thumbs
    assert _status(c_owner, detail) == 404 and _status(c_owner, signed_url) == 404


def _sees_or_404(client, contract, number) -> bool:
    """For outsiders: every file URL is a 404 (never a 403 that would confirm it exists)."""
    urls = _urls(contract, number)
    codes = {_status(client, urls["image"]), _status(client, urls["download"])}
    assert codes == {404}
    return False


def test_the_signed_pdf_is_an_attachment_named_after_the_title(deal, login, sent):
    contract = deal["contract"]
    sending.send(contract, by=deal["a_owner"])
    for party, by in zip(parties(contract), ("a_keeper", "b_owner", "person"), strict=True):
        sending.mark_signed(party, by=deal[by])
        _signed_version(contract, deal[by])
    client = login(deal["a_owner"], deal["a"])
    body = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert 'data-testid="download-signed"' in body
    resp = client.get(reverse("contract_signed_download", args=[contract.pk]))
    disposition = resp["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="contract-{contract.pk}-signed.pdf";')
    assert "filename*=UTF-8''%E4%BF%9D%E5%AF%86%E9%87%87%E8%B4%AD%E5%90%88%E5%90%8C-signed.pdf" in (
        disposition
    )
    assert resp["X-Content-Type-Options"] == "nosniff" and resp["Content-Type"] == "application/pdf"


def test_no_signed_download_before_completion(deal, login, sent):
    contract = deal["contract"]
    sending.send(contract, by=deal["a_owner"])
    client = login(deal["a_owner"], deal["a"])
    body = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert 'data-testid="download-signed"' not in body
    assert client.get(reverse("contract_signed_download", args=[contract.pk])).status_code == 404


def test_parties_see_other_parties_contacts_masked(deal, login, sent):
    contract = deal["contract"]
    participants.add_person(contract, by=deal["a_owner"], name="李四", contact="13912345678")
    sending.send(contract, by=deal["a_owner"])
    detail = reverse("contract_detail", args=[contract.pk])
    party_view = login(deal["b_owner"], deal["b"]).get(detail).content.decode()
    assert "13912345678" not in party_view and "139****5678" in party_view
    initiator_view = login(deal["a_owner"], deal["a"]).get(detail).content.decode()
    assert "13912345678" in initiator_view


def test_a_party_cannot_manage_revoke_or_remind(deal, login, sent):
    contract = deal["contract"]
    sending.send(contract, by=deal["a_owner"])
    b_owner = login(deal["b_owner"], deal["b"])
    body = b_owner.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert 'data-testid="remind"' not in body and 'data-testid="revoke-link"' not in body
    assert b_owner.get(reverse("contract_revoke", args=[contract.pk])).status_code == 403
    assert b_owner.post(reverse("contract_remind", args=[contract.pk])).status_code == 403
    assert b_owner.post(reverse("contract_edit", args=[contract.pk])).status_code in (302, 403)
    contract.refresh_from_db()
    assert contract.state == "signing" and contract.title == "保密采购合同"


def test_opening_as_a_party_enters_the_party_space(deal, login, sent):
    contract = deal["contract"]
    sending.send(contract, by=deal["a_owner"])
    client = login(deal["b_owner"])  # personal space active
    resp = client.get(reverse("contract_detail", args=[contract.pk]))
    assert resp.status_code == 200 and resp.wsgi_request.company == deal["b"]
    person = login(deal["person"])
    resp = person.get(reverse("contract_detail", args=[contract.pk]))
    assert resp.status_code == 200 and resp.wsgi_request.company is None


def test_party_permission_functions(deal, sent):
    from chop.orgs.models import Membership

    contract = deal["contract"]
    a, b, p = parties(contract)
    m_b = Membership.objects.get(company=deal["b"], user=deal["b_member"])
    m_c = Membership.objects.get(company=deal["c"], user=deal["c_owner"])
    assert not permissions.can_view_contract_as_party(m_b, b, deal["b_member"])  # a draft
    sending.send(contract, by=deal["a_owner"])
    b.refresh_from_db()
    p.refresh_from_db()
    assert permissions.can_view_contract_as_party(m_b, b, deal["b_member"])
    assert not permissions.can_view_contract_as_party(m_c, b, deal["c_owner"])
    assert not permissions.can_view_contract_as_party(None, b, deal["b_member"])
    assert permissions.can_view_contract_as_party(None, p, deal["person"])
    assert not permissions.can_view_contract_as_party(None, p, deal["b_owner"])
    assert not permissions.can_see_document_as_party(b)  # waiting
    v1 = contract.versions.get(number=1)
    assert not permissions.can_see_version_as_party(b, v1, 1)


def test_the_list_includes_sent_party_contracts_but_never_drafts(deal, login, sent):
    contract = deal["contract"]
    other_draft = documents.create_draft(
        company=deal["a"], user=deal["a_owner"], title="甲方草稿", upload=pdf_file(pdf_pages(1))
    )
    participants.add_company(other_draft, by=deal["a_owner"], name="乙方贸易有限公司", uscc=USCC_B)
    b_owner = login(deal["b_owner"], deal["b"])
    listing = b_owner.get(reverse("contracts")).content.decode()
    assert "保密采购合同" not in listing and "甲方草稿" not in listing
    sending.send(contract, by=deal["a_owner"])
    listing = b_owner.get(reverse("contracts")).content.decode()
    assert "保密采购合同" in listing and "甲方草稿" not in listing
    assert b_owner.get(reverse("contract_detail", args=[other_draft.pk])).status_code == 404
    c_listing = login(deal["c_owner"], deal["c"]).get(reverse("contracts")).content.decode()
    assert "保密采购合同" not in c_listing


def test_a_draft_revoked_before_sending_stays_the_initiators(deal, login, sent):
    contract = deal["contract"]
    sending.revoke(contract, by=deal["a_owner"], reason="不发了")
    detail = reverse("contract_detail", args=[contract.pk])
    assert login(deal["b_owner"], deal["b"]).get(detail).status_code == 404
    assert login(deal["person"]).get(detail).status_code == 404
    assert login(deal["a_owner"], deal["a"]).get(detail).status_code == 200


def test_parties_of_an_ended_contract_who_never_signed_read_did_not_sign(deal, login, sent):
    contract = deal["contract"]
    sending.send(contract, by=deal["a_owner"])
    sending.decline(parties(contract)[0], by=deal["a_keeper"], reason="不签")
    body = (
        login(deal["a_owner"], deal["a"])
        .get(reverse("contract_detail", args=[contract.pk]), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    # B and the person, still waiting when it ended, are not shown as if they could still sign
    assert body.count("Did not sign") == 2 and ">Waiting<" not in body
    assert "Declined: 不签" in body
