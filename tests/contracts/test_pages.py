"""The contract pages: list and empty state, the draft page (fields, thumbnails, versions with
SHA-256), previews with progress, one page at reading size, downloads, and who may do what."""

from __future__ import annotations

import datetime
import hashlib
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from chop.contracts import documents, previews, tasks
from chop.contracts.models import Contract, DocumentVersion
from chop.orgs import permissions
from chop.orgs.models import Membership

from .conftest import pdf_file, pdf_pages

pytestmark = pytest.mark.django_db


def _draft(acme, user_key="member", pages=3, **kw) -> Contract:
    return documents.create_draft(
        company=acme["company"],
        user=acme[user_key],
        title=kw.pop("title", "设备采购合同"),
        upload=pdf_file(pdf_pages(pages, **kw)),
    )


def _body(resp) -> str:
    return (
        b"".join(resp.streaming_content).decode("latin-1")
        if resp.streaming
        else resp.content.decode()
    )


def test_empty_list_says_to_upload(acme, login):
    page = login(acme["member"], acme["company"]).get(
        reverse("contracts"), HTTP_ACCEPT_LANGUAGE="en"
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="empty-contracts"' in body and "Upload a contract to start" in body
    assert reverse("contract_new") in body


def test_personal_space_list_explains_where_contracts_start(acme, login):
    body = (
        login(acme["member"]).get(reverse("contracts"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert 'data-testid="empty-personal"' in body and reverse("contract_new") not in body


def test_list_shows_the_company_drafts_only(acme, login, make_company, make_user):
    mine = _draft(acme)
    other = make_company("别家公司", owner=make_user("别人"))
    documents.create_draft(
        company=other, user=other.created_by, title="别家的合同", upload=pdf_file(pdf_pages(1))
    )
    body = login(acme["member"], acme["company"]).get(reverse("contracts")).content.decode()
    assert mine.title in body and "别家的合同" not in body


def test_detail_shows_fields_thumbnails_and_versions(acme, login):
    contract = _draft(acme, pages=3)  # outside a request: the on-commit task does not run
    version = contract.current_version()
    previews.render_version(version)
    client = login(acme["member"], acme["company"])
    resp = client.get(reverse("contract_detail", args=[contract.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert contract.title in body and version.sha256 in body
    thumbs = re.findall(
        r"<img src=\"([^\"]+)\" alt=\"\" width=\"(\d+)\" height=\"(\d+)\" loading=\"lazy\"", body
    )
    assert len(thumbs) == 3
    for src, w, h in thumbs:
        assert (int(w), int(h)) == (200, 283)
        img = client.get(src)
        assert img.status_code == 200 and img["Content-Type"] == "image/png"
        assert (
            img["X-Content-Type-Options"] == "nosniff"
            and "sandbox" in img["Content-Security-Policy"]
        )
        decoded = Image.open(io.BytesIO(_body(img).encode("latin-1")))
        assert decoded.size == (int(w), int(h))
    assert reverse("contract_page", args=[contract.pk, 2]) in body
    assert reverse("contract_version_download", args=[contract.pk, 1]) in body
    # the creator may edit: the form is there, with the deadline's bounds
    assert 'data-testid="draft-form"' in body
    latest = timezone.localdate() + datetime.timedelta(days=90)
    assert f'max="{latest.isoformat()}"' in body


def test_previews_show_progress_then_thumbnails(acme, login, settings):
    """With a real queue (not run inline) the page polls; once the task ran, thumbnails arrive."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client = login(acme["member"], acme["company"])
    resp = client.post(
        reverse("contract_new"), {"title": "五页合同", "file": pdf_file(pdf_pages(5))}
    )
    contract = Contract.objects.get()
    assert resp.status_code == 302
    version = contract.current_version()
    assert version.preview_state == "pending" and version.preview_done == 0
    fragment = client.get(reverse("contract_previews", args=[contract.pk])).content.decode()
    assert 'data-testid="previews-pending"' in fragment and 'hx-trigger="load delay:1s"' in fragment
    assert '<progress max="5" value="0">' in fragment
    # half-way, as a long document's task reports it
    DocumentVersion.objects.filter(pk=version.pk).update(preview_done=2)
    fragment = client.get(reverse("contract_previews", args=[contract.pk])).content.decode()
    assert '<progress max="5" value="2">' in fragment
    tasks.render_previews.call(version.pk)
    fragment = client.get(reverse("contract_previews", args=[contract.pk])).content.decode()
    assert 'data-testid="page-thumbs"' in fragment and "hx-get" not in fragment
    assert fragment.count('loading="lazy"') == 5
    version.refresh_from_db()
    assert version.preview_state == "ready" and version.preview_percent == 100


def test_rendering_twice_writes_nothing_new(acme):
    contract = _draft(acme, pages=2)
    version = contract.current_version()
    assert previews.render_version(version) == 4  # 2 pages x 2 widths
    assert previews.render_version(version) == 0


def test_page_view_and_its_neighbours(acme, login):
    contract = _draft(acme, pages=3)
    previews.render_version(contract.current_version())
    client = login(acme["member"], acme["company"])
    body = client.get(reverse("contract_page", args=[contract.pk, 2])).content.decode()
    assert reverse("contract_page", args=[contract.pk, 1]) in body
    assert reverse("contract_page", args=[contract.pk, 3]) in body
    src = re.search(r'<img src="([^"]+)" alt="[^"]*" width="1000" height="(\d+)"', body)
    assert src and src.group(2) == "1414"
    img = Image.open(io.BytesIO(_body(client.get(src.group(1))).encode("latin-1")))
    assert img.size == (1000, 1414)
    assert client.get(reverse("contract_page", args=[contract.pk, 4])).status_code == 404
    image = reverse("contract_page_image", args=[contract.pk, 1, 1, "huge"])
    assert client.get(image).status_code == 404
    assert (
        client.get(reverse("contract_page_image", args=[contract.pk, 1, 9, "thumb"])).status_code
        == 404
    )
    assert (
        client.get(reverse("contract_page_image", args=[contract.pk, 2, 1, "thumb"])).status_code
        == 404
    )


def test_every_version_downloads_exactly(acme, login):
    data = pdf_pages(2)
    contract = documents.create_draft(
        company=acme["company"], user=acme["member"], title="t", upload=pdf_file(data)
    )
    # a later version (as a signing act will add), to show every version stays downloadable
    import tempfile
    from pathlib import Path

    later = pdf_pages(3)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d, "v2.pdf")
        path.write_bytes(later)
        prepared = documents.Prepared(
            path, hashlib.sha256(later).hexdigest(), len(later), 3, [(595.28, 841.89)] * 3, "pdf"
        )
        documents.add_version(contract, prepared, by=acme["owner"], reason="signed", note="甲方")
    client = login(acme["member"], acme["company"])
    for number, expected in ((1, data), (2, later)):
        resp = client.get(reverse("contract_version_download", args=[contract.pk, number]))
        assert resp.status_code == 200
        assert resp["Content-Type"] == "application/pdf"
        assert resp["Content-Disposition"].startswith("attachment")
        assert resp["X-Content-Type-Options"] == "nosniff"
        assert b"".join(resp.streaming_content) == expected
    assert contract.current_version().number == 2
    body = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert hashlib.sha256(later).hexdigest() in body and hashlib.sha256(data).hexdigest() in body
    assert (
        client.get(reverse("contract_version_download", args=[contract.pk, 3])).status_code == 404
    )


def _edit(client, contract, **fields):
    data = {
        "title": contract.title,
        "number": "",
        "contract_type": "",
        "deadline": contract.deadline.isoformat(),
        "order": "sequential",
        "copy_recipients": "",
    }
    data.update(fields)
    return client.post(
        reverse("contract_edit", args=[contract.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_draft_fields_are_edited_and_validated(acme, login):
    contract = _draft(acme)
    client = login(acme["member"], acme["company"])
    deadline = timezone.localdate() + datetime.timedelta(days=45)
    resp = _edit(
        client,
        contract,
        title="设备采购合同（修订）",
        number="CG-2026-001",
        contract_type="采购合同",
        deadline=deadline.isoformat(),
        order="parallel",
        copy_recipients="138 0013 8000\nLi@Example.com，13800138000",
    )
    assert resp.status_code == 302
    contract.refresh_from_db()
    assert contract.title == "设备采购合同（修订）" and contract.number == "CG-2026-001"
    assert contract.contract_type == "采购合同" and contract.order == "parallel"
    assert contract.deadline == deadline
    assert contract.copy_recipients == ["13800138000", "li@example.com"]

    too_far = timezone.localdate() + datetime.timedelta(days=91)
    resp = _edit(client, contract, deadline=too_far.isoformat())
    assert resp.status_code == 400 and "at most 90 days" in resp.content.decode()
    past = timezone.localdate() - datetime.timedelta(days=1)
    resp = _edit(client, contract, deadline=past.isoformat())
    assert resp.status_code == 400 and "cannot be in the past" in resp.content.decode()
    resp = _edit(client, contract, copy_recipients="13800138000\nnot-a-phone")
    assert resp.status_code == 400 and "not-a-phone" in resp.content.decode()
    resp = _edit(client, contract, copy_recipients="\n".join(f"1380013{i:04d}" for i in range(21)))
    assert resp.status_code == 400 and "At most 20" in resp.content.decode()
    resp = _edit(client, contract, title="   ")
    assert resp.status_code == 400
    contract.refresh_from_db()
    assert contract.deadline == deadline and contract.copy_recipients == [
        "13800138000",
        "li@example.com",
    ]


def test_who_may_edit_a_draft(acme, login, make_user):
    contract = _draft(acme, user_key="member")
    assert _edit(login(acme["admin"], acme["company"]), contract, number="A-1").status_code == 302
    assert _edit(login(acme["owner"], acme["company"]), contract, number="O-1").status_code == 302
    assert _edit(login(acme["keeper"], acme["company"]), contract, number="K-1").status_code == 403
    another = make_user("另一名员工")
    Membership.objects.create(company=acme["company"], user=another, role="member")
    assert _edit(login(another, acme["company"]), contract, number="M-1").status_code == 403
    body = login(another, acme["company"]).get(reverse("contract_detail", args=[contract.pk]))
    assert body.status_code == 200 and 'data-testid="draft-form"' not in body.content.decode()
    contract.refresh_from_db()
    assert contract.number == "O-1"
    # no longer a draft: nobody edits it
    Contract.objects.filter(pk=contract.pk).update(state="signing")
    assert _edit(login(acme["owner"], acme["company"]), contract, number="X").status_code == 403


def test_permission_functions():
    class M:
        def __init__(self, company_id, role):
            self.company_id, self.role = company_id, role

    class C:
        def __init__(self, company_id, created_by_id, state="draft"):
            self.company_id, self.created_by_id, self.state = company_id, created_by_id, state

    class U:
        def __init__(self, pk):
            self.pk = pk

    assert permissions.can_create_contract(M(1, "member"))
    assert not permissions.can_create_contract(None)
    assert permissions.can_view_contract(M(1, "member"), C(1, 9), U(5))
    assert not permissions.can_view_contract(M(2, "owner"), C(1, 9), U(5))
    assert permissions.can_view_contract(None, C(None, 5), U(5))
    assert not permissions.can_view_contract(None, C(None, 5), U(6))
    assert permissions.can_edit_contract_draft(M(1, "member"), C(1, 5), U(5))
    assert not permissions.can_edit_contract_draft(M(1, "seal_keeper"), C(1, 9), U(5))
    assert permissions.can_edit_contract_draft(M(1, "admin"), C(1, 9), U(5))
    assert not permissions.can_edit_contract_draft(M(1, "owner"), C(1, 9, "signing"), U(5))


def test_another_company_cannot_reach_anything(acme, login, make_company, make_user):
    contract = _draft(acme)
    previews.render_version(contract.current_version())
    outsider = make_user("外人")
    client = login(outsider, make_company("外人公司", owner=outsider))
    urls = [
        reverse("contract_detail", args=[contract.pk]),
        reverse("contract_edit", args=[contract.pk]),
        reverse("contract_previews", args=[contract.pk]),
        reverse("contract_page", args=[contract.pk, 1]),
        reverse("contract_page_image", args=[contract.pk, 1, 1, "thumb"]),
        reverse("contract_version_download", args=[contract.pk, 1]),
    ]
    for url in urls:
        for method in ("get", "post"):
            assert getattr(client, method)(url).status_code == 404, (method, url)
    contract.refresh_from_db()
    assert contract.title == "设备采购合同"


def test_a_link_opened_from_another_space_switches_to_the_contract_company(acme, login):
    contract = _draft(acme)
    client = login(acme["member"])  # personal space, as after a login
    resp = client.get(reverse("contract_detail", args=[contract.pk]))
    assert resp.status_code == 200 and resp.wsgi_request.company == acme["company"]
