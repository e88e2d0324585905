# ruff: noqa: F811  (pytest fixtures imported for use by name)
"""/api/v1/stamps: the company's stamping records (filters, cursor pages) and their export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.evidence.monitor.conftest import BEIJING, more_like, stamped  # noqa: F401

from .misc_support import (  # noqa: F401
    _commit_work_per_request,
    body,
    problem,
    signing_world,
    verified_company,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def recs(stamped, make_key, api_client):
    """A's real record, two more at chosen times; A's owner key; B's owner key."""
    w, rec = stamped
    march = more_like(rec, dt.datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING))
    april = more_like(rec, dt.datetime(2026, 4, 7, 23, 30, tzinfo=BEIJING), signer=None)
    _k, raw = make_key(w["a"], w["a_owner"])
    _k, b_raw = make_key(w["b"], w["b_owner"])
    return {
        "w": w,
        "rec": rec,
        "march": march,
        "april": april,
        "api": api_client(raw),
        "b_api": api_client(b_raw),
    }


def test_lists_newest_first_with_the_recorded_facts(recs):
    doc = body(recs["api"].get("/api/v1/stamps"))
    ids = [r["id"] for r in doc["items"]]
    assert ids == [recs["rec"].pk, recs["april"].pk, recs["march"].pk]
    item = doc["items"][0]
    rec = recs["rec"]
    assert item["seal"] == {
        "id": rec.seal_id,
        "code": rec.seal_code,
        "kind": rec.seal_kind,
        "name": rec.seal_name,
    }
    assert item["contract_id"] == rec.contract_id and item["contract_number"] == "HT-2026-001"
    assert item["signed_sha256"] == rec.signed_sha256 and item["ip"] == "10.0.0.7"
    assert item["signer_id"] == recs["w"]["a_keeper"].pk and item["forms"] == ["single"]
    assert item["tsa_time"] is not None
    assert doc["next_cursor"] is None
    assert body(recs["api"].get(f"/api/v1/stamps/{rec.pk}")) == item


def test_cursor_walks_by_stamped_at(recs):
    api = recs["api"]
    seen, cursor = [], None
    while True:
        params = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        doc = body(api.get("/api/v1/stamps", params))
        seen += [r["id"] for r in doc["items"]]
        cursor = doc["next_cursor"]
        if not cursor:
            break
    assert seen == [recs["rec"].pk, recs["april"].pk, recs["march"].pk]


def test_filters_as_the_records_page(recs):
    api = recs["api"]

    def ids(**params):
        return [r["id"] for r in body(api.get("/api/v1/stamps", params))["items"]]

    assert ids(date_from="2026-03-01", date_to="2026-03-31") == [recs["march"].pk]
    assert ids(person="auto") == [recs["april"].pk]
    assert ids(person=str(recs["w"]["a_keeper"].pk)) == [recs["rec"].pk, recs["march"].pk]
    assert ids(contract="HT-2026") == [recs["rec"].pk, recs["april"].pk, recs["march"].pk]
    assert ids(contract="没有这个") == []
    assert ids(form="riding") == []
    problem(api.get("/api/v1/stamps", {"date_from": "March"}), 422, "invalid")
    problem(api.get("/api/v1/stamps", {"person": "2" * 30}), 422, "invalid")
    problem(api.get("/api/v1/stamps", {"seal": 2**70}), 422, "invalid")
    # a cursor made up by hand is refused, never a server error
    problem(
        api.get("/api/v1/stamps", {"cursor": "WyIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsIngiXQ"}),
        400,
        "bad_cursor",
    )


def test_csv_export_has_the_rows(recs):
    response = recs["api"].get("/api/v1/stamps/export", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Total-Count"] == "3" and "attachment" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][0] == "记录号"  # the header, in the caller's language
    assert [row[0] for row in table[1:]] == [
        str(recs["rec"].pk),
        str(recs["april"].pk),
        str(recs["march"].pk),
    ]
    assert recs["rec"].seal_code in table[1] and recs["rec"].signed_sha256 in table[1]
    filtered = recs["api"].get("/api/v1/stamps/export", {"date_to": "2026-03-31"})
    table = list(csv.reader(io.StringIO(b"".join(filtered.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in table[1:]] == [str(recs["march"].pk)]


def test_xlsx_export_reads_back(recs):
    import openpyxl

    response = recs["api"].get("/api/v1/stamps/export", {"format": "xlsx"})
    assert response.status_code == 200 and response["X-Total-Count"] == "3"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert len(rows) == 4 and recs["rec"].seal_code in rows[1]
    problem(recs["api"].get("/api/v1/stamps/export", {"format": "pdf"}), 422, "invalid")


def test_other_company_sees_none_of_them(recs):
    b = recs["b_api"]
    assert body(b.get("/api/v1/stamps"))["items"] == []
    problem(b.get(f"/api/v1/stamps/{recs['rec'].pk}"), 404, "not_found")
    response = b.get("/api/v1/stamps/export")
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(table) == 1  # the header only


def test_records_scope_and_the_monitor_permission(recs, make_key, api_client):
    from chop.orgs.models import Membership, Role

    w = recs["w"]
    _k, raw = make_key(w["a"], w["a_owner"], scopes=["read"])
    problem(api_client(raw).get("/api/v1/stamps"), 403, "scope_missing")
    problem(api_client(raw).get("/api/v1/stamps/export"), 403, "scope_missing")
    # an administrator's key watches stamps too (owners, admins and seal keepers may)
    Membership.objects.filter(company=w["a"], user=w["a_member"]).update(role=Role.ADMIN)
    _k, raw = make_key(w["a"], w["a_member"], scopes=["records"])
    assert len(body(api_client(raw).get("/api/v1/stamps"))["items"]) == 3
