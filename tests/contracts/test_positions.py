"""Designated positions: the service's checks and audit, keyword hits in displayed-page mm, the
send problems, and the editor's URL (form posts and JSON)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from chop.audit.models import AuditEvent
from chop.contracts import documents, participants, positions, sending
from chop.contracts.models import Contract, Position
from chop.contracts.positions import PositionError

from .conftest import pdf_file, pdf_pages
from .parties_support import USCC_B

MM = 25.4 / 72
A4_H_PT = 841.89

pytestmark = pytest.mark.django_db


def draft(world, data: bytes | None = None, *, pages: int = 3, texts=None, **kw) -> Contract:
    """A draft of company A with a real document and parties A and B."""
    data = data or pdf_pages(pages, texts=texts or {}, **kw)
    contract = documents.create_draft(
        company=world["a"], user=world["a_owner"], title="采购合同", upload=pdf_file(data)
    )
    by = world["a_owner"]
    participants.add_initiator(contract, by=by, stamper=world["a_keeper"])
    participants.add_company(contract, by=by, name="乙方贸易有限公司", uscc=USCC_B)
    return contract


def party(contract, n: int = 0):
    return contract.participants.order_by("position")[n]


def add(contract, n=0, **data):
    return positions.add(contract, party(contract, n), data, by=contract.created_by)


def refused(contract, n=0, **data) -> PositionError:
    with pytest.raises(PositionError) as info:
        add(contract, n, **data)
    return info.value


# --- the service ------------------------------------------------------------------------------------


def test_single_position_is_stored_in_displayed_mm_and_audited(world):
    contract = draft(world)
    pos = add(contract, form="single", page="2", x_mm="120.5", y_mm="200", with_date="on")
    pos.refresh_from_db()
    assert (pos.form, pos.page, pos.x_mm, pos.y_mm) == ("single", 2, 120.5, 200.0)
    assert pos.size_mm == positions.COMPANY_SIZE_MM and pos.with_date
    event = AuditEvent.objects.get(action="contract.position_added")
    assert event.data["participant"] == party(contract).pk and event.data["page"] == 2
    assert event.company_id == world["a"].pk


def test_person_parties_default_to_a_smaller_box(world):
    contract = draft(world)
    person = participants.add_person(
        contract, by=world["a_owner"], name="张三", contact="zhangsan@example.com"
    )
    pos = positions.add(
        contract, person, {"form": "single", "page": 1, "x_mm": 10, "y_mm": 10}, by=None
    )
    assert pos.size_mm == positions.PERSON_SIZE_MM


@pytest.mark.parametrize(
    "data, code, field",
    [
        ({"form": "single", "page": "0", "x_mm": 10, "y_mm": 10}, "position.page", "page"),
        ({"form": "single", "page": "4", "x_mm": 10, "y_mm": 10}, "position.page", "page"),
        ({"form": "single", "page": "1.5", "x_mm": 10, "y_mm": 10}, "position.page", "page"),
        ({"form": "single", "page": "1", "x_mm": "", "y_mm": 10}, "position.missing", "x_mm"),
        (
            {"form": "single", "page": "1", "x_mm": "abc", "y_mm": 10},
            "position.not_a_number",
            "x_mm",
        ),
        (
            {"form": "single", "page": "1", "x_mm": "nan", "y_mm": 10},
            "position.not_a_number",
            "x_mm",
        ),
        # A4 is 210 mm wide: a 40 mm seal at 171 mm sticks out
        ({"form": "single", "page": "1", "x_mm": 171, "y_mm": 10}, "position.off_page", "x_mm"),
        ({"form": "single", "page": "1", "x_mm": -1, "y_mm": 10}, "position.off_page", "x_mm"),
        # 297 mm high: 40 mm + the date line (4.5 mm) from 253 mm does not fit
        (
            {"form": "single", "page": "1", "x_mm": 10, "y_mm": 253, "with_date": "1"},
            "position.off_page",
            "x_mm",
        ),
        (
            {"form": "single", "page": 1, "x_mm": 1, "y_mm": 1, "size_mm": 9},
            "position.size",
            "size_mm",
        ),
        (
            {"form": "single", "page": 1, "x_mm": 1, "y_mm": 1, "size_mm": 81},
            "position.size",
            "size_mm",
        ),
        ({"form": "multi", "pages": "3-1", "x_mm": 1, "y_mm": 1}, "position.bad_pages", "pages"),
        ({"form": "multi", "pages": "1-5", "x_mm": 1, "y_mm": 1}, "position.bad_pages", "pages"),
        ({"form": "multi", "pages": "a", "x_mm": 1, "y_mm": 1}, "position.bad_pages", "pages"),
        ({"form": "riding", "pages": "2", "edge": "right"}, "position.riding_pages", "pages"),
        ({"form": "riding", "pages": "all", "edge": "middle"}, "position.edge", "edge"),
        ({"form": "riding", "edge": "right", "along_mm": 10}, "position.along", "along_mm"),
        ({"form": "riding", "edge": "top", "along_mm": 195}, "position.along", "along_mm"),
        ({"form": "keyword", "keyword": ""}, "position.keyword", "keyword"),
        ({"form": "keyword", "keyword": "甲" * 101}, "position.keyword_long", "keyword"),
        ({"form": "keyword", "keyword": "丙方（盖章）"}, "position.keyword_not_found", "keyword"),
        (
            {"form": "keyword", "keyword": "甲方（盖章）", "occurrence": "second"},
            "position.occurrence",
            "occurrence",
        ),
        ({"form": "keyword", "keyword": "甲方（盖章）", "dx_mm": 201}, "position.offset", "dx_mm"),
        ({"form": "stamp"}, "position.form", "form"),
    ],
)
def test_bad_positions_are_refused_with_a_translated_message(world, data, code, field):
    contract = draft(world, texts={2: [(330, 200, "甲方（盖章）")]})
    err = refused(contract, **data)
    assert (err.code, err.field) == (code, field)
    assert str(err.message)
    assert not Position.objects.exists()
    assert not AuditEvent.objects.filter(action="contract.position_added").exists()


def test_messages_are_chinese_by_default(world):
    from django.utils import translation

    contract = draft(world)
    with translation.override("zh-hans"):
        err = refused(contract, form="single", page=1, x_mm=180, y_mm=10)
        assert "超出" in str(err.message) or "页" in str(err.message), err.message
        err = refused(contract, form="multi", pages="3-1", x_mm=1, y_mm=1)
        assert "3-1" in str(err.message) and "page" not in str(err.message)


def test_every_form_round_trips(world):
    contract = draft(world, texts={2: [(330, 200, "甲方（盖章）")]})
    multi = add(contract, form="multi", pages="1-2, 3", x_mm=150, y_mm=240, size_mm=30)
    riding = add(contract, form="riding", pages="全部", edge="right", along_mm=100)
    kw = add(contract, 1, form="keyword", keyword="甲方(盖章)", occurrence="last", dx_mm=5)
    assert (multi.pages, multi.size_mm) == ("1-2,3", 30)
    assert (riding.pages, riding.edge, riding.along_mm, riding.with_date) == (
        "all",
        "right",
        100.0,
        False,
    )
    assert (kw.keyword, kw.occurrence, kw.dx_mm, kw.dy_mm) == ("甲方(盖章)", "last", 5.0, 0.0)
    # riding seals carry no date, whatever was sent
    r2 = add(contract, form="riding", edge="left", with_date="1")
    assert not r2.with_date and r2.along_mm is None


def test_update_moves_and_remove_deletes_with_audit(world):
    contract = draft(world)
    pos = add(contract, form="single", page=1, x_mm=10, y_mm=10)
    moved = positions.update(
        pos, {"form": "single", "page": 3, "x_mm": 30, "y_mm": 40}, by=world["a_owner"]
    )
    assert (moved.page, moved.x_mm, moved.y_mm) == (3, 30, 40)
    changed = AuditEvent.objects.get(action="contract.position_changed")
    assert set(changed.data["fields"]) == {"page", "x_mm", "y_mm"}
    with pytest.raises(PositionError):
        positions.update(pos, {"form": "single", "page": 9, "x_mm": 30, "y_mm": 40}, by=None)
    pos.refresh_from_db()
    assert pos.page == 3
    positions.remove(pos, by=world["a_owner"])
    assert not Position.objects.exists()
    assert AuditEvent.objects.filter(action="contract.position_removed").count() == 1


def test_only_drafts_take_positions(world):
    contract = draft(world)
    pos = add(contract, form="single", page=1, x_mm=10, y_mm=10)
    Contract.objects.filter(pk=contract.pk).update(state="signing")
    err = refused(contract, form="single", page=1, x_mm=50, y_mm=50)
    assert err.code == "position.not_draft"
    with pytest.raises(PositionError):
        positions.remove(pos, by=None)
    assert Position.objects.count() == 1


def test_a_party_of_another_contract_is_refused(world):
    one, two = draft(world), draft(world)
    with pytest.raises(PositionError) as info:
        positions.add(one, party(two), {"form": "single", "page": 1, "x_mm": 1, "y_mm": 1}, by=None)
    assert info.value.code == "position.party"


def test_rotated_page_is_checked_in_its_displayed_size(world):
    """A /Rotate 90 A4 page is displayed 297 mm wide and 210 mm high."""
    contract = draft(world, pages=1, rotate=90)
    assert add(contract, form="single", page=1, x_mm=250, y_mm=10).x_mm == 250
    assert refused(contract, form="single", page=1, x_mm=10, y_mm=200).code == "position.off_page"


# --- keyword hits ---------------------------------------------------------------------------------


def test_keyword_hits_in_displayed_mm(world):
    contract = draft(
        world,
        pages=3,
        texts={
            0: [(100, 700, "甲方（盖章）")],
            2: [(330, 200, "甲方（盖章）"), (90, 100, "甲方（盖章）")],
        },
    )
    version = contract.current_version()
    hits = positions.keyword_hits(version, "甲方（盖章）")
    assert [h["page"] for h in hits] == [1, 3, 3]
    first = hits[0]
    # the text starts at x = 100 pt; its baseline is at 700 pt from the bottom, 14 pt high
    assert abs(first["x_mm"] - 100 * MM) < 1
    assert abs(first["y_mm"] + first["h_mm"] - (A4_H_PT - 700) * MM) < 2
    assert 3 < first["h_mm"] < 7 and 25 < first["w_mm"] < 32  # six 14 pt CJK characters
    # ASCII brackets find the full-width text, as people type them
    assert len(positions.keyword_hits(version, "甲方(盖章)")) == 3
    assert positions.keyword_hits(version, "丙方") == []


@pytest.mark.parametrize("occurrence, pages", [("first", [1]), ("last", [3]), ("all", [1, 3, 3])])
def test_keyword_seals_follow_occurrence_and_offsets(world, occurrence, pages):
    contract = draft(
        world,
        texts={
            0: [(100, 700, "甲方（盖章）")],
            2: [(330, 200, "甲方（盖章）"), (90, 100, "甲方（盖章）")],
        },
    )
    version = contract.current_version()
    hits = positions.keyword_hits(version, "甲方（盖章）")
    seals = positions.keyword_seals(hits, version, occurrence=occurrence, dx=10, dy=-5, size=40)
    assert [s["page"] for s in seals] == pages
    chosen = {"first": hits[:1], "last": hits[-1:], "all": hits}[occurrence]
    for seal, hit in zip(seals, chosen, strict=True):
        centre_x = hit["x_mm"] + hit["w_mm"] / 2
        centre_y = hit["y_mm"] + hit["h_mm"] / 2
        assert abs(seal["x_mm"] + 20 - (centre_x + 10)) < 0.01
        assert abs(seal["y_mm"] + 20 - (centre_y - 5)) < 0.01


def test_keyword_near_the_bottom_with_a_date_is_refused(world):
    """The engine keeps the seal on the page but not the date under it: refused when placing."""
    contract = draft(world, pages=1, texts={0: [(200, 20, "甲方（盖章）")]})
    assert add(contract, form="keyword", keyword="甲方（盖章）").keyword == "甲方（盖章）"
    err = refused(contract, form="keyword", keyword="甲方（盖章）", with_date="1")
    assert err.code == "position.off_page"
    assert add(contract, form="keyword", keyword="甲方（盖章）", with_date="1", dy_mm=-20).with_date


def test_keyword_seal_near_the_edge_stays_on_the_page(world):
    contract = draft(world, pages=1, texts={0: [(20, 820, "甲方（盖章）")]})
    version = contract.current_version()
    hits = positions.keyword_hits(version, "甲方（盖章）")
    (seal,) = positions.keyword_seals(hits, version, occurrence="first", dx=-50, dy=-50, size=40)
    assert seal["x_mm"] == 0 and seal["y_mm"] == 0


def test_keyword_hits_on_a_rotated_page(world):
    """/Rotate 90: user-space x runs down the displayed page, y runs right."""
    contract = draft(world, pages=1, rotate=90, texts={0: [(330, 200, "甲方（盖章）")]})
    (hit,) = positions.keyword_hits(contract.current_version(), "甲方（盖章）")
    # the page's top turned to the right: the baseline is the text's left side, glyphs point right
    assert abs(hit["x_mm"] - 200 * MM) < 2
    assert abs(hit["y_mm"] - 330 * MM) < 1
    assert hit["h_mm"] > hit["w_mm"]  # the line runs downwards on screen


# --- sending -------------------------------------------------------------------------------------


def test_send_problems_report_positions_that_no_longer_fit(world, sent):
    contract = draft(world, texts={2: [(330, 200, "甲方（盖章）")]})
    add(contract, form="single", page=3, x_mm=10, y_mm=10)
    add(contract, 1, form="keyword", keyword="甲方（盖章）")
    assert sending.send_problems(contract) == []
    # the document now has one page, without the keyword (a later version, as signing makes)
    version = contract.current_version()
    version.file.save("other.pdf", pdf_file(pdf_pages(1)), save=False)
    version.page_count = 1
    version.page_sizes = [[595.28, 841.89]]
    version.save()
    codes = sorted(p.code for p in sending.send_problems(contract))
    assert codes == ["send.position.keyword_not_found", "send.position.page"]
    with pytest.raises(sending.SendError):
        sending.send(contract, by=world["a_owner"])
    assert Contract.objects.get(pk=contract.pk).state == "draft"


def test_marks_for_keeps_the_stored_values(world):
    from tests.support.pdfsign_testing import demo_seal

    contract = draft(world)
    pos = add(contract, form="multi", pages="1-2", x_mm=15, y_mm=25, size_mm=30, with_date=True)
    (mark,) = positions.marks_for([pos], demo_seal())
    assert (mark.pages, mark.x_mm, mark.y_mm, mark.size_mm) == ("1-2", 15, 25, 30)
    assert mark.date is not None


# --- the editor's URL --------------------------------------------------------------------------------


def test_editor_page_shows_pages_and_parties(world, login):
    contract = draft(world)
    add(contract, form="single", page=2, x_mm=30, y_mm=40)
    client = login(world["a_owner"], world["a"])
    resp = client.get(reverse("contract_positions", args=[contract.pk]))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'data-page="2"' in body and 'data-w-mm="210.00"' in body and 'data-h-mm="297.00"' in body
    assert "乙方贸易有限公司" in body and "positions-data" in body
    data = json.loads(
        body.split('id="positions-data" type="application/json">')[1].split("</script>")[0]
    )
    (placed,) = data["positions"]
    assert placed["boxes"] == [{"page": 2, "x_mm": 30.0, "y_mm": 40.0, "w_mm": 40.0, "h_mm": 40.0}]


def test_form_post_places_and_json_moves_and_removes(world, login):
    contract = draft(world)
    client = login(world["a_owner"], world["a"])
    url = reverse("contract_positions", args=[contract.pk])
    resp = client.post(
        url,
        {
            "participant": party(contract, 1).pk,
            "form": "single",
            "page": 1,
            "x_mm": "12",
            "y_mm": 34,
        },
    )
    assert resp.status_code == 302
    pos = Position.objects.get()
    assert (pos.participant_id, pos.x_mm, pos.y_mm) == (party(contract, 1).pk, 12, 34)
    # a bad one: the form comes back with the message, nothing stored
    resp = client.post(
        url, {"participant": party(contract).pk, "form": "single", "page": 9, "x_mm": 1, "y_mm": 1}
    )
    assert resp.status_code == 400 and Position.objects.count() == 1
    body = resp.content.decode()
    assert "请选择第 1 至 3 页中的一页。" in body
    # the editor's module: JSON in, JSON out
    resp = client.post(
        url,
        json.dumps(
            {
                "action": "save",
                "position": pos.pk,
                "form": "single",
                "page": 2,
                "x_mm": 50,
                "y_mm": 60,
            }
        ),
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    answer = resp.json()
    assert answer["position"] == pos.pk and answer["positions"][0]["page"] == 2
    resp = client.post(
        url,
        json.dumps({"position": pos.pk, "form": "single", "page": 2, "x_mm": 500, "y_mm": 60}),
        content_type="application/json",
    )
    assert resp.status_code == 400 and resp.json()["field"] == "x_mm"
    resp = client.post(
        url, json.dumps({"action": "delete", "position": pos.pk}), content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["positions"] == []
    assert not Position.objects.exists()


def test_people_who_may_not_edit_the_draft_cannot_place(world, login, make_user):
    from chop.orgs.models import Membership, Role

    contract = draft(world)
    member = make_user("甲方员工")
    Membership.objects.create(company=world["a"], user=member, role=Role.MEMBER)
    client = login(member, world["a"])
    url = reverse("contract_positions", args=[contract.pk])
    assert client.get(url).status_code == 200  # may look
    resp = client.post(
        url, {"participant": party(contract).pk, "form": "single", "page": 1, "x_mm": 1, "y_mm": 1}
    )
    assert resp.status_code == 403 and not Position.objects.exists()


def test_position_of_another_contract_is_404(world, login):
    one, two = draft(world), draft(world)
    pos = add(two, form="single", page=1, x_mm=10, y_mm=10)
    client = login(world["a_owner"], world["a"])
    resp = client.post(
        reverse("contract_positions", args=[one.pk]), {"action": "delete", "position": pos.pk}
    )
    assert resp.status_code == 404 and Position.objects.filter(pk=pos.pk).exists()


def test_find_answers_hits_and_count(world, login):
    contract = draft(world, texts={1: [(330, 200, "甲方（盖章）")]})
    client = login(world["a_owner"], world["a"])
    url = reverse("contract_positions_find", args=[contract.pk])
    answer = client.get(url, {"keyword": "甲方（盖章）", "occurrence": "all", "dy_mm": 10}).json()
    assert answer["count"] == 1 and answer["hits"][0]["page"] == 2
    assert answer["seals"][0]["page"] == 2
    assert client.get(url, {"keyword": "丙方"}).json()["count"] == 0


def test_detail_page_summarises_positions(world, login):
    contract = draft(world)
    add(contract, form="riding", pages="all", edge="right")
    client = login(world["a_owner"], world["a"])
    body = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert reverse("contract_positions", args=[contract.pk]) in body
    assert body.count('data-testid="positions-summary"') == 1
    assert "签署时由签署方" in body or "signer places" in body  # B has no position


def test_editor_speaks_english_too(world, login, settings):
    contract = draft(world, texts={2: [(330, 200, "甲方（盖章）")]})
    add(contract, form="single", page=2, x_mm=30, y_mm=40, with_date=True)
    add(contract, 1, form="keyword", keyword="甲方（盖章）", occurrence="all")
    client = login(world["a_owner"], world["a"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("contract_positions", args=[contract.pk])).content.decode()
    assert "Place seals" in body and "Riding seal" in body
    assert "Page 2, 30 mm from the left, 40 mm from the top · 40 mm · with the date" in body
    assert "hits in the document: 1" in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = client.get(reverse("contract_positions", args=[contract.pk])).content.decode()
    assert "第 2 页，距左 30 毫米，距顶 40 毫米 · 40 毫米 · 含日期" in body
    assert "文档中匹配 1 处" in body


def test_without_script_a_position_is_changed_through_its_edit_link(world, login):
    contract = draft(world)
    pos = add(contract, form="multi", pages="1-2", x_mm=30, y_mm=40, size_mm=35)
    client = login(world["a_owner"], world["a"])
    url = reverse("contract_positions", args=[contract.pk])
    body = client.get(url, {"edit": pos.pk}).content.decode()
    assert f'name="position" value="{pos.pk}"' in body
    assert 'value="1-2"' in body and 'name="x_mm" id="pos-x" step="0.1" value="30.0"' in body
    assert 'value="multi" checked' in body
    resp = client.post(
        url,
        {
            "position": pos.pk,
            "action": "save",
            "form": "multi",
            "pages": "2-3",
            "x_mm": "31",
            "y_mm": "40",
            "size_mm": "35",
        },
    )
    assert resp.status_code == 302
    pos.refresh_from_db()
    assert (pos.pages, pos.x_mm, pos.size_mm) == ("2-3", 31, 35)


def test_other_parties_never_open_the_editor(world, login, sent):
    """B, a party of a sent contract, may open the contract (its own view) but not the editor
    or the keyword search: they show and search the current version's pages."""
    contract = draft(world, texts={0: [(330, 200, "甲方（盖章）")]})
    add(contract, form="single", page=1, x_mm=10, y_mm=10)
    sending.send(contract, by=world["a_owner"])
    client = login(world["b_owner"], world["b"])
    assert client.get(reverse("contract_detail", args=[contract.pk])).status_code == 200
    body = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert 'data-testid="positions-summary"' not in body
    assert client.get(reverse("contract_positions", args=[contract.pk])).status_code == 404
    find = reverse("contract_positions_find", args=[contract.pk])
    assert client.get(find, {"keyword": "甲方（盖章）"}).status_code == 404
