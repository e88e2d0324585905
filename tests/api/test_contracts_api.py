"""Contracts over the API: each operation's answer and its refusals, as problem+json."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from chop.contracts.models import Contract, Participant, Position
from tests.contracts.conftest import media_files, pdf_file, pdf_pages
from tests.contracts.signing_support import add_party, send
from tests.contracts.test_upload import _png, _qpdf_encrypted
from tests.seals.conftest import verified_company  # noqa: F401  (fixture)

BASE = "/api/v1/contracts"
KEYWORD = "乙方（盖章）"


def problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    doc = json.loads(response.content)
    assert doc["status"] == status
    if code is not None:
        assert doc["code"] == code, doc
    return doc


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()
    return json.loads(response.content)


def chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def doc_with_keyword() -> bytes:
    return pdf_pages(2, texts={1: [(330, 200, KEYWORD)]})


def upload(api, data: bytes | None = None, headers=None, **fields):
    body = {"title": "采购合同", **fields}
    return api.post(
        BASE,
        data=body,
        files={"file": pdf_file(data if data is not None else doc_with_keyword())},
        headers=headers,
    )


@pytest.fixture
def w(verified_company, make_user, make_key, api_client):  # noqa: F811
    """Verified companies A and B (owners), keys of each with every scope, a read-only key of A."""
    a_owner, b_owner, c_owner = make_user("甲方老板"), make_user("乙方老板"), make_user("丙方老板")
    a = verified_company("甲方科技有限公司", owner=a_owner)
    b = verified_company("乙方贸易有限公司", owner=b_owner)
    c = verified_company("丙方咨询有限公司", owner=c_owner)
    keys = {}
    for name, company, owner in (("a", a, a_owner), ("b", b, b_owner), ("c", c, c_owner)):
        _key, raw = make_key(company, owner)
        keys[name] = api_client(raw)
        keys[name + "_en"] = api_client(raw, "en")
    _key, raw = make_key(a, a_owner, scopes=["read"])
    keys["a_read"] = api_client(raw)
    return {"A": a, "B": b, "C": c, "a_owner": a_owner, "b_owner": b_owner, **keys}


@pytest.fixture
def draft(w):
    return ok(upload(w["a"]), 201)


def ready_to_send(w, contract_id: int) -> Contract:
    contract = Contract.objects.get(pk=contract_id)
    add_party(contract, company=w["A"], user=w["a_owner"])
    add_party(contract, company=w["B"], user=w["b_owner"])
    return contract


# --- create ---------------------------------------------------------------------------------


def test_create_from_upload_with_metadata(w):
    deadline = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    body = ok(
        upload(
            w["a"],
            number="HT-001",
            contract_type="采购合同",
            deadline=deadline,
            order="parallel",
        ),
        201,
    )
    contract = Contract.objects.get(pk=body["id"])
    assert contract.company == w["A"] and contract.created_by == w["a_owner"]
    assert body["state"] == "draft" and body["title"] == "采购合同"
    assert (body["number"], body["contract_type"], body["deadline"], body["order"]) == (
        "HT-001",
        "采购合同",
        deadline,
        "parallel",
    )
    assert body["initiator"] == {"company_id": w["A"].pk, "name": "甲方科技有限公司"}
    [version] = body["versions"]
    assert version["number"] == 1 and version["page_count"] == 2
    assert version["sha256"] == contract.current_version().sha256
    assert body["participants"] == []


REFUSED = {
    "encrypted": (_qpdf_encrypted, 422, "encrypted"),
    "truncated": (lambda: pdf_pages(3)[:900], 422, "cannot be read"),
    "png": (_png, 415, "Upload the contract as a PDF"),
    "html-named-pdf": (lambda: b"<html><script>alert(1)</script></html>", 415, "PDF"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_uploads_are_problems_saying_why_and_keep_nothing(case, w, settings):
    make, status, words = REFUSED[case]
    doc = problem(upload(w["a_en"], make()), status)
    assert doc["code"].startswith("upload.")
    assert words.lower() in doc["detail"].lower(), doc
    assert Contract.objects.count() == 0
    assert [f for f in media_files(settings.MEDIA_ROOT) if f.startswith("contracts/")] == []
    zh = problem(upload(w["a"], make()), status)
    assert chinese(zh["detail"]) and chinese(zh["title"]), zh


def test_too_large_is_413_problem(w, settings):
    settings.CHOP_CONTRACT_MAX_BYTES = 1024 * 1024
    doc = problem(upload(w["a_en"], pdf_pages(1, padding=1_100_000)), 413, "upload.too_big")
    assert "the limit is 1 MB" in doc["detail"]
    settings.CHOP_MAX_UPLOAD_BYTES = 512 * 1024
    doc = problem(upload(w["a_en"], pdf_pages(1, padding=600_000)), 413, "too_large")
    assert doc["type"] == "urn:chop:problem:too_large" and "0.5 MB" in doc["detail"]
    zh = problem(upload(w["a"], pdf_pages(1, padding=600_000)), 413, "too_large")
    assert chinese(zh["detail"])
    assert Contract.objects.count() == 0


def test_web_pages_keep_the_html_413(client, settings, db):
    settings.CHOP_MAX_UPLOAD_BYTES = 1024
    response = client.post("/contracts/new/", {"file": pdf_file(pdf_pages(1, padding=5000))})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")


def test_too_many_pages_is_422(w, settings):
    settings.CHOP_CONTRACT_MAX_PAGES = 3
    doc = problem(upload(w["a_en"], pdf_pages(4)), 422)
    assert "at most 3" in doc["detail"]


def test_create_needs_title_file_scope_and_a_valid_deadline(w):
    doc = problem(w["a_en"].post(BASE, data={"title": "无文件"}), 422, "invalid")
    assert any(e["field"] and "file" in e["field"] for e in doc["errors"]), doc
    doc = problem(upload(w["a_en"], title="   "), 422, "invalid")
    assert [e["field"] for e in doc["errors"]] == ["title"]
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    doc = problem(upload(w["a_en"], deadline=past), 422, "invalid")
    assert doc["errors"][0]["field"] == "deadline" and "past" in doc["errors"][0]["message"]
    doc = problem(upload(w["a_read"]), 403, "scope_missing")
    assert chinese(doc["detail"])
    assert Contract.objects.count() == 0


# --- list and get ---------------------------------------------------------------------------


def test_list_filters_and_cursor(w):
    ids = [
        ok(upload(w["a"], title=f"合同{i}", contract_type="采购合同" if i % 2 else ""), 201)["id"]
        for i in range(5)
    ]
    Contract.objects.filter(pk=ids[0]).update(state="revoked")
    page1 = ok(w["a"].get(BASE, {"limit": 2}))
    assert [c["id"] for c in page1["items"]] == ids[::-1][:2] and page1["next_cursor"]
    page2 = ok(w["a"].get(BASE, {"limit": 2, "cursor": page1["next_cursor"]}))
    page3 = ok(w["a"].get(BASE, {"limit": 2, "cursor": page2["next_cursor"]}))
    got = [c["id"] for p in (page1, page2, page3) for c in p["items"]]
    assert got == ids[::-1] and page3["next_cursor"] is None
    assert [c["id"] for c in ok(w["a"].get(BASE, {"state": "revoked"}))["items"]] == [ids[0]]
    typed = ok(w["a"].get(BASE, {"contract_type": "采购合同"}))["items"]
    assert {c["id"] for c in typed} == {ids[1], ids[3]}
    assert [c["id"] for c in ok(w["a"].get(BASE, {"q": "合同2"}))["items"]] == [ids[2]]
    today = timezone.localdate()
    assert len(ok(w["a"].get(BASE, {"created_after": today.isoformat()}))["items"]) == 5
    before = (today - dt.timedelta(days=1)).isoformat()
    assert ok(w["a"].get(BASE, {"created_before": before}))["items"] == []
    problem(w["a"].get(BASE, {"state": "nonsense"}), 422, "invalid")
    assert ok(w["a"].get(BASE, {"q": "合同\x00", "contract_type": "\x00"}))["items"] == []
    problem(w["a"].get(BASE, {"cursor": "@@@"}), 400, "bad_cursor")
    problem(w["a"].get(BASE, {"limit": 0}), 400, "bad_limit")
    # another company sees none of them
    assert ok(w["b"].get(BASE))["items"] == []


def test_a_party_sees_a_sent_contract_but_not_a_draft(w):
    body = ok(upload(w["a"]), 201)
    contract = ready_to_send(w, body["id"])
    assert ok(w["b"].get(BASE))["items"] == []
    problem(w["b"].get(f"{BASE}/{contract.pk}"), 404, "not_found")
    Position.objects.create(
        participant=contract.participants.get(company=w["B"]),
        form="single",
        page=1,
        x_mm=30,
        y_mm=30,
    )
    send(contract, w["a_owner"])
    [item] = ok(w["b"].get(BASE))["items"]
    assert item["id"] == contract.pk and item["state"] == "signing"
    # B waits for A (sequential): it sees the parties, not the document yet
    assert item["versions"] == []
    problem(w["b"].get(f"{BASE}/{contract.pk}/file"), 404)
    problem(w["b"].get(f"{BASE}/{contract.pk}/versions/1/file"), 404)
    # positions of B's own party only; contacts masked
    parties = {p["company_id"]: p for p in item["participants"]}
    assert parties[w["A"].pk]["positions"] == [] and len(parties[w["B"].pk]["positions"]) == 1
    Participant.objects.filter(contract=contract, company=w["A"]).update(state="signed")
    Participant.objects.filter(contract=contract, company=w["B"]).update(state="to_sign")
    got = ok(w["b"].get(f"{BASE}/{contract.pk}"))
    assert [v["number"] for v in got["versions"]] == [1]
    response = w["b"].get(f"{BASE}/{contract.pk}/file")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # C, not a party, sees nothing of it
    problem(w["c"].get(f"{BASE}/{contract.pk}"), 404, "not_found")
    assert ok(w["c"].get(BASE))["items"] == []


def test_contacts_are_masked(w, draft):
    ok(
        w["a"].post(
            f"{BASE}/{draft['id']}/participants",
            {"kind": "person", "name": "张三", "contact": "13800138001"},
        ),
        201,
    )
    got = ok(w["a"].get(f"{BASE}/{draft['id']}"))
    assert got["participants"][0]["contact"] == "138****8001"
    assert "13800138001" not in json.dumps(got)


def test_get_other_company_or_missing_is_404_in_both_languages(w, draft):
    doc = problem(w["b"].get(f"{BASE}/{draft['id']}"), 404, "not_found")
    assert chinese(doc["detail"])
    doc = problem(w["b_en"].get(f"{BASE}/{draft['id']}"), 404, "not_found")
    assert "no such" in doc["detail"].lower()
    problem(w["a"].get(f"{BASE}/987654321"), 404, "not_found")
    problem(w["a"].get(f"{BASE}/{2**70}"), 404)


def test_downloads(w, draft):
    response = w["a"].get(f"{BASE}/{draft['id']}/versions/1/file")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert w["a"].get(f"{BASE}/{draft['id']}/file").status_code == 200
    problem(w["a"].get(f"{BASE}/{draft['id']}/versions/2/file"), 404)
    problem(w["b"].get(f"{BASE}/{draft['id']}/versions/1/file"), 404)


# --- change a draft -------------------------------------------------------------------------


def test_patch_a_draft(w, draft):
    later = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    body = ok(
        w["a"].patch(
            f"{BASE}/{draft['id']}", {"title": "新标题", "number": "N-9", "deadline": later}
        )
    )
    assert (body["title"], body["number"], body["deadline"]) == ("新标题", "N-9", later)
    assert body["order"] == "sequential"
    far = (timezone.localdate() + dt.timedelta(days=200)).isoformat()
    doc = problem(w["a_en"].patch(f"{BASE}/{draft['id']}", {"deadline": far}), 422, "invalid")
    assert doc["errors"][0]["field"] == "deadline"
    problem(w["a"].patch(f"{BASE}/{draft['id']}", {"order": "random"}), 422, "invalid")
    problem(w["a_read"].patch(f"{BASE}/{draft['id']}", {"title": "x"}), 403, "scope_missing")
    problem(w["b"].patch(f"{BASE}/{draft['id']}", {"title": "x"}), 404)
    Contract.objects.filter(pk=draft["id"]).update(state="signing", sent_at=timezone.now())
    problem(w["a"].patch(f"{BASE}/{draft['id']}", {"title": "x"}), 409, "not_draft")
    assert Contract.objects.get(pk=draft["id"]).title == "新标题"


def test_a_party_cannot_change_what_it_may_see(w, draft):
    contract = ready_to_send(w, draft["id"])
    Contract.objects.filter(pk=contract.pk).update(state="signing", sent_at=timezone.now())
    doc = problem(w["b_en"].post(f"{BASE}/{contract.pk}/revoke", {"reason": "x"}), 403)
    assert doc["code"] == "not_initiator"
    problem(w["b"].post(f"{BASE}/{contract.pk}/remind"), 403, "not_initiator")


# --- parties --------------------------------------------------------------------------------


def test_parties_added_and_removed(w, draft):
    url = f"{BASE}/{draft['id']}/participants"
    mine = ok(w["a"].post(url, {"kind": "initiator"}), 201)
    assert (mine["position"], mine["kind"], mine["company_id"]) == (0, "company", w["A"].pk)
    theirs = ok(
        w["a"].post(url, {"kind": "company", "name": "乙方贸易有限公司", "uscc": w["B"].uscc}), 201
    )
    assert theirs["company_id"] == w["B"].pk and theirs["position"] == 1
    person = ok(
        w["a"].post(url, {"kind": "person", "name": "李四", "contact": "lisi@example.com"}), 201
    )
    assert person["contact"] == "li***@example.com" and person["kind"] == "person"
    doc = problem(
        w["a"].post(url, {"kind": "company", "name": "乙方贸易有限公司", "uscc": w["B"].uscc}),
        409,
        "participant.duplicate",
    )
    assert chinese(doc["detail"])
    doc = problem(w["a_en"].post(url, {"kind": "company", "name": "某公司", "uscc": "123"}), 422)
    assert doc["code"] == "invalid" and doc["errors"][0]["field"] == "uscc"
    problem(w["a"].post(url, {"kind": "person", "name": "王五", "contact": "nonsense"}), 422)
    problem(w["a"].post(url, {"kind": "robot", "name": "x"}), 422, "invalid")
    problem(w["a"].post(url, {"kind": "initiator", "stamper_id": w["b_owner"].pk}), 422)
    # remove
    response = w["a"].delete(f"{url}/{theirs['id']}")
    assert response.status_code == 204
    assert list(
        Participant.objects.filter(contract_id=draft["id"]).values_list("name", "position")
    ) == [("甲方科技有限公司", 0), ("李四", 1)]
    problem(w["a"].delete(f"{url}/{theirs['id']}"), 404)
    problem(w["b"].post(url, {"kind": "initiator"}), 404)


def test_parties_only_on_a_draft(w, draft):
    url = f"{BASE}/{draft['id']}/participants"
    mine = ok(w["a"].post(url, {"kind": "initiator"}), 201)
    Contract.objects.filter(pk=draft["id"]).update(state="revoked")
    problem(w["a"].post(url, {"kind": "person", "name": "李四", "contact": "13800138002"}), 409)
    problem(w["a"].delete(f"{url}/{mine['id']}"), 409)


# --- positions ------------------------------------------------------------------------------


def test_positions_by_coordinates_and_by_keyword(w, draft):
    url = f"{BASE}/{draft['id']}/participants"
    party = ok(
        w["a"].post(url, {"kind": "company", "name": "乙方贸易有限公司", "uscc": w["B"].uscc}), 201
    )
    purl = f"{url}/{party['id']}/positions"
    placed = ok(w["a"].post(purl, {"form": "single", "page": 1, "x_mm": 30, "y_mm": 40}), 201)
    assert placed["position"]["form"] == "single" and placed["hits"] == []
    assert placed["boxes"] == [{"page": 1, "x_mm": 30.0, "y_mm": 40.0, "w_mm": 40.0, "h_mm": 40.0}]
    found = ok(w["a"].post(purl, {"form": "keyword", "keyword": KEYWORD, "with_date": True}), 201)
    assert found["position"]["keyword"] == KEYWORD and found["position"]["with_date"] is True
    [hit] = found["hits"]
    assert hit["page"] == 2 and hit["text"] == KEYWORD and hit["size_mm"] == 40.0
    # the seal is centred on the text it found
    centre_x = hit["text_x_mm"] + hit["text_w_mm"] / 2
    assert abs(hit["x_mm"] + 20 - centre_x) < 0.1
    assert found["boxes"][0]["page"] == 2
    doc = problem(w["a_en"].post(purl, {"form": "keyword", "keyword": "丙方"}), 422)
    assert doc["code"] == "position.keyword_not_found" and "not in the document" in doc["detail"]
    assert doc["errors"][0]["field"] == "keyword"
    zh = problem(w["a"].post(purl, {"form": "keyword", "keyword": "丙方"}), 422)
    assert chinese(zh["detail"])
    problem(w["a"].post(purl, {"form": "single", "page": 9, "x_mm": 1, "y_mm": 1}), 422)
    problem(w["a"].post(purl, {"form": "single", "page": 1, "x_mm": 590, "y_mm": 1}), 422)
    assert Position.objects.count() == 2
    # remove
    response = w["a"].delete(f"{purl}/{placed['position']['id']}")
    assert response.status_code == 204
    assert list(Position.objects.values_list("form", flat=True)) == ["keyword"]
    problem(w["a"].delete(f"{purl}/{placed['position']['id']}"), 404)
    problem(w["a_read"].post(purl, {"form": "single", "page": 1, "x_mm": 30, "y_mm": 40}), 403)
    problem(w["b"].post(purl, {"form": "single", "page": 1, "x_mm": 30, "y_mm": 40}), 404)
    Contract.objects.filter(pk=draft["id"]).update(state="revoked")
    problem(
        w["a"].post(purl, {"form": "single", "page": 1, "x_mm": 30, "y_mm": 40}),
        409,
        "position.not_draft",
    )


# --- send, revoke, remind -------------------------------------------------------------------


def test_send_lists_every_problem_then_sends(w, draft):
    doc = problem(w["a_en"].post(f"{BASE}/{draft['id']}/send"), 422)
    codes = [p["code"] for p in doc["problems"]]
    assert "send.too_few_parties" in codes
    assert all(p["message"] for p in doc["problems"])
    ready_to_send(w, draft["id"])
    body = ok(w["a"].post(f"{BASE}/{draft['id']}/send"))
    assert body["state"] == "signing" and body["sent_at"]
    assert [p["state"] for p in body["participants"]] == ["to_sign", "waiting"]
    problem(w["a"].post(f"{BASE}/{draft['id']}/send"), 409, "send.not_draft")
    problem(w["a_read"].post(f"{BASE}/{draft['id']}/send"), 403, "scope_missing")


def test_revoke_needs_a_reason_and_a_live_contract(w, draft):
    url = f"{BASE}/{draft['id']}/revoke"
    doc = problem(w["a_en"].post(url, {"reason": "  "}), 422, "revoke.no_reason")
    assert "why" in doc["detail"]
    doc = problem(w["a_en"].post(url, {"reason": "长" * 501}), 422, "invalid")
    assert doc["errors"][0]["field"] == "reason"
    problem(w["a"].post(url, {"reason": "a\x00b"}), 422, "invalid")
    body = ok(w["a"].post(url, {"reason": "条款有误"}))
    assert body["state"] == "revoked"
    assert Contract.objects.get(pk=draft["id"]).state_reason == "条款有误"
    problem(w["a"].post(url, {"reason": "再撤"}), 409, "revoke.too_late")
    problem(w["b"].post(url, {"reason": "x"}), 404)


def test_remind(w, draft, monkeypatch):
    url = f"{BASE}/{draft['id']}/remind"
    problem(w["a"].post(url), 409, "remind.not_signing")
    contract = ready_to_send(w, draft["id"])
    send(contract, w["a_owner"])
    assert ok(w["a"].post(url)) == {"reminded": 1}
    doc = problem(w["a_en"].post(url), 409, "remind.too_soon")
    assert "remind them again" in doc["detail"]


# --- the OpenAPI document -------------------------------------------------------------------


def test_every_operation_declares_its_problems():
    from chop.api.v1 import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    for path, methods in schema["paths"].items():
        if not path.startswith("/api/v1/contracts"):
            continue
        for method, op in methods.items():
            assert op.get("summary") and op.get("description"), (method, path)
            codes = {str(code) for code in op["responses"]}
            assert "404" in codes or "{" not in path, (method, path)
            assert {"401", "403", "429"} <= codes, (method, path)
            if method in ("post", "patch"):
                assert {"400", "409", "413", "422"} <= codes, (method, path)
            for code, response in op["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (path, code)
