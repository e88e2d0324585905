"""用印记录 / 用印监控: records written by real acts, filters, who may see them, charts, hints,
and the CSV/XLSX exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from chop.audit.models import AuditEvent
from chop.evidence import monitoring

from .conftest import BEIJING, more_like

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def page_text(resp) -> str:
    return resp.content.decode()


def rows_of(resp) -> int:
    return page_text(resp).count('data-testid="stamp-row"')


# --- the record, from a real act ------------------------------------------------------------------


def test_a_real_act_appears_with_its_facts_and_the_tsa_time(stamped, login):
    w, rec = stamped
    assert rec.tsa_time is not None
    # the TSA's time and the platform's clock agree within the act
    assert abs((rec.tsa_time - rec.stamped_at).total_seconds()) < 60
    resp = login(w["a_keeper"], w["a"]).get(reverse("stamp_records"))
    assert resp.status_code == 200
    html = page_text(resp)
    assert rows_of(resp) == 1
    for fact in (rec.seal_code, rec.seal_name, rec.contract_title, "HT-2026-001", "10.0.0.7"):
        assert fact in html
    assert w["a_keeper"].display_name in html
    assert f'href="/records/stamps/{rec.pk}/proof/"' in html
    assert f'id="stamp-{rec.pk}"' in html


# --- filters --------------------------------------------------------------------------------------


def test_filters_narrow_the_set(stamped, login):
    w, rec = stamped
    noon = dt.datetime(2026, 3, 4, 12, 0, tzinfo=BEIJING)  # a Wednesday, in office hours
    by_owner = more_like(rec, noon, signer=w["a_owner"], signer_name="王老板")
    riding = more_like(rec, noon + dt.timedelta(days=1), forms=["riding", "single"])
    lease = more_like(rec, noon + dt.timedelta(days=2), contract_title="厂房租赁合同")
    other_seal = more_like(
        rec,
        noon + dt.timedelta(days=3),
        seal=w["person_seal"],
        seal_code="P-0001",
        seal_name="张三之印",
    )
    c = login(w["a_owner"], w["a"])
    url = reverse("stamp_records")

    def ids(**query) -> set[int]:
        resp = c.get(url, query)
        assert resp.status_code == 200
        return {
            r.pk
            for r in [rec, by_owner, riding, lease, other_seal]
            if f'id="stamp-{r.pk}"' in page_text(resp)
        }

    assert ids() == {rec.pk, by_owner.pk, riding.pk, lease.pk, other_seal.pk}
    assert ids(person=str(w["a_owner"].pk)) == {by_owner.pk}
    assert ids(form="riding") == {riding.pk}
    assert ids(form="single") == {rec.pk, by_owner.pk, riding.pk, lease.pk, other_seal.pk}
    assert ids(contract="租赁") == {lease.pk}
    assert ids(contract="ht-2026") == {rec.pk, by_owner.pk, riding.pk, lease.pk, other_seal.pk}
    assert ids(seal=str(w["person_seal"].pk)) == {other_seal.pk}
    assert ids(date_from="2026-03-05", date_to="2026-03-06") == {riding.pk, lease.pk}
    # reversed dates are swapped, and a malformed one is ignored with a note
    assert ids(date_from="2026-03-06", date_to="2026-03-05") == {riding.pk, lease.pk}
    resp = c.get(url, {"date_from": "not-a-date", "form": "bogus"})
    assert rows_of(resp) == 5 and "YYYY-MM-DD" in page_text(resp)
    # the filters travel with the exports
    resp = c.get(url, {"form": "riding"})
    assert "export.csv?form=riding" in page_text(resp)


# --- who sees what --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("admin", 200), ("seal_keeper", 200), ("seal_user", 403), ("member", 403)],
)
def test_only_owners_admins_and_keepers_watch_stamps(team, login, role, status):
    c = login(team["users"][role], team["company"])
    for name in ("stamp_records", "stamp_records_csv", "stamp_records_xlsx"):
        resp = c.get(reverse(name))
        assert resp.status_code == status, (name, role)
    if status == 403:
        assert "seal keepers" in page_text(
            c.get(reverse("stamp_records"), HTTP_ACCEPT_LANGUAGE="en")
        )


def test_personal_space_is_told_to_switch(make_user, login):
    resp = login(make_user()).get(reverse("stamp_records"), HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200 and "Switch to a company" in page_text(resp)


def test_another_company_never_sees_the_records(stamped, login):
    w, rec = stamped
    c = login(w["b_owner"], w["b"])
    resp = c.get(reverse("stamp_records"))
    assert resp.status_code == 200
    assert rows_of(resp) == 0 and 'data-testid="stamps-empty"' in page_text(resp)
    assert rec.seal_code not in page_text(resp)
    # even naming A's seal or contract in the filters finds nothing
    resp = c.get(reverse("stamp_records"), {"seal": rec.seal_id, "contract": rec.contract_title})
    assert rows_of(resp) == 0
    body = b"".join(c.get(reverse("stamp_records_csv")).streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 1  # the header only


def test_empty_state_says_what_to_do_next(verified_company, make_user, login):
    owner = make_user("老板")
    company = verified_company("空公司有限公司", owner=owner)
    resp = login(owner, company).get(reverse("stamp_records"), HTTP_ACCEPT_LANGUAGE="en")
    html = page_text(resp)
    assert 'data-testid="stamps-empty"' in html and reverse("contracts") in html
    assert 'data-export="csv"' not in html


# --- exports --------------------------------------------------------------------------------------


def _injecting(rec):
    return more_like(
        rec,
        dt.datetime(2026, 3, 4, 10, 0, tzinfo=BEIJING),
        party_name='=HYPERLINK("http://evil.example","点我")',
        device="@SUM(1+1)",
        contract_title="+86 采购合同",
        signer_name="-张三",
    )


def test_csv_export_is_the_filtered_set_with_a_bom_and_no_formulas(stamped, login):
    w, rec = stamped
    bad = _injecting(rec)
    c = login(w["a_keeper"], w["a"])
    resp = c.get(reverse("stamp_records_csv"))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert resp["X-Total-Count"] == "2" and "attachment" in resp["Content-Disposition"]
    raw = b"".join(resp.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese correctly
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == 3
    by_id = {row[0]: row for row in table[1:]}
    real = by_id[str(rec.pk)]
    assert rec.seal_code in real and rec.signed_sha256 in real and rec.base_sha256 in real
    assert "10.0.0.7" in real and rec.contract_title in real
    evil = by_id[str(bad.pk)]
    assert '\'=HYPERLINK("http://evil.example","点我")' in evil
    assert "'@SUM(1+1)" in evil and "'+86 采购合同" in evil and "'-张三" in evil
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)
    # filtered: only the injected one is from March
    resp = c.get(reverse("stamp_records_csv"), {"date_to": "2026-03-31"})
    table = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in table[1:]] == [str(bad.pk)]
    ev = AuditEvent.objects.filter(action="stamp_records.exported").order_by("-pk").first()
    assert ev is not None and ev.company_id == w["a"].pk and ev.data["count"] == 1


def test_xlsx_export_reads_back_in_openpyxl(stamped, login):
    import openpyxl

    w, rec = stamped
    bad = _injecting(rec)
    resp = login(w["a_owner"], w["a"]).get(reverse("stamp_records_xlsx"), HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    assert resp["X-Total-Count"] == "2"
    data = b"".join(resp.streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheet = book.worksheets[0]
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0][:3] == ["Record", "Time", "Person"]
    assert len(table) == 3
    by_id = {row[0]: row for row in table[1:]}
    assert rec.seal_code in by_id[str(rec.pk)] and "10.0.0.7" in by_id[str(rec.pk)]
    evil = by_id[str(bad.pk)]
    assert "'@SUM(1+1)" in evil and "'-张三" in evil
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type == "s"  # text, never a formula


# --- charts ---------------------------------------------------------------------------------------


def test_charts_are_svg_with_titles_and_the_numbers(stamped, login):
    w, rec = stamped
    day = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING)
    for i in range(3):
        more_like(rec, day + dt.timedelta(minutes=i))
    more_like(rec, day + dt.timedelta(days=2), signer=w["a_owner"], signer_name="王老板")
    resp = login(w["a_owner"], w["a"]).get(
        reverse("stamp_records"),
        {"date_from": "2026-03-01", "date_to": "2026-03-07"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = page_text(resp)
    svgs = [
        html[i : html.index("</svg>", i) + 6]
        for i in _starts(html, '<svg xmlns="http://www.w3.org/2000/svg" class="chart')
    ]
    assert len(svgs) == 2
    daily, person = (ET.fromstring(s) for s in svgs)
    for chart in (daily, person):
        assert chart.get("role") == "img" and chart.find(f"{SVG}title") is not None
        assert chart.find(f"{SVG}desc") is not None
    assert daily.find(f"{SVG}title").text == "Uses per day per seal"
    bars = [r.find(f"{SVG}title").text for r in daily.iter(f"{SVG}rect")]
    assert any(b.startswith("2026-03-02") and b.endswith(": 3") for b in bars)
    assert any(b.startswith("2026-03-04") and b.endswith(": 1") for b in bars)
    assert len(bars) == 2  # one seal, two days with uses out of the seven drawn
    labels = [t.text for t in daily.iter(f"{SVG}text")]
    assert "03-01" in labels
    people = sorted(r.find(f"{SVG}title").text for r in person.iter(f"{SVG}rect"))
    assert people == ["王老板: 1", f"{w['a_keeper'].display_name}: 3"]


def _starts(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i != -1:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def test_daily_series_groups_small_seals_and_caps_the_days():
    f = monitoring.StampFilter(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 12, 31))
    from chop.contracts.models import StampRecord

    data = monitoring.per_day_per_seal(StampRecord.objects.none(), f)
    assert data.truncated and len(data.days) == monitoring.CHART_DAYS
    assert data.days[-1] == dt.date(2026, 12, 31) and data.series == []


# --- hints ----------------------------------------------------------------------------------------


def test_an_off_hours_stamp_is_called_out(stamped, login):
    w, rec = stamped
    late = more_like(rec, dt.datetime(2026, 3, 4, 23, 30, tzinfo=BEIJING))  # Wednesday night
    weekend = more_like(rec, dt.datetime(2026, 3, 7, 11, 0, tzinfo=BEIJING))  # Saturday
    office = more_like(rec, dt.datetime(2026, 3, 4, 9, 30, tzinfo=BEIJING))
    c = login(w["a_owner"], w["a"])
    resp = c.get(reverse("stamp_records"), {"date_to": "2026-03-31"}, HTTP_ACCEPT_LANGUAGE="en")
    html = page_text(resp)
    hint = html[html.index('data-testid="hint-off-hours"') :]
    hint = hint[: hint.index("</ul>")]
    assert f'date_to=2026-03-04&amp;date_from=2026-03-04#stamp-{late.pk}"' in hint
    assert f'#stamp-{weekend.pk}"' in hint and f"#stamp-{office.pk}" not in hint
    assert "2 uses outside office hours" in hint


def test_an_autosign_burst_is_called_out_and_a_slow_trickle_is_not(stamped, login):
    w, rec = stamped
    auto = {
        "signer": None,
        "signer_name": "",
        "authorisation_kind": "autosign",
        "intent_method": "auto",
    }
    start = dt.datetime(2026, 3, 4, 14, 0, tzinfo=BEIJING)
    n = monitoring.BURST_COUNT + 1
    burst = [more_like(rec, start + dt.timedelta(seconds=30 * i), **auto) for i in range(n)]
    # the same number spread over a day is no burst
    calm = dt.datetime(2026, 3, 10, 9, 0, tzinfo=BEIJING)
    for i in range(n):
        more_like(rec, calm + dt.timedelta(minutes=monitoring.BURST_MINUTES * i), **auto)
    c = login(w["a_owner"], w["a"])
    from chop.contracts.models import StampRecord

    found = monitoring.autosign_bursts(StampRecord.objects.filter(company=w["a"]))
    assert len(found) == 1
    assert (found[0].first_id, found[0].last_id, found[0].count) == (burst[0].pk, burst[-1].pk, n)
    resp = c.get(reverse("stamp_records"), {"date_to": "2026-03-31"}, HTTP_ACCEPT_LANGUAGE="en")
    html = page_text(resp)
    assert 'data-testid="hint-bursts"' in html
    assert f": {n} stamps" in html
    assert "person=auto" in html
    # one stamp fewer is not a burst
    fewer = monitoring.autosign_bursts(
        StampRecord.objects.filter(company=w["a"]).exclude(pk=burst[-1].pk)
    )
    assert fewer == []


def test_a_long_run_is_one_burst(stamped):
    w, rec = stamped
    auto = {
        "signer": None,
        "signer_name": "",
        "authorisation_kind": "autosign",
        "intent_method": "auto",
    }
    start = dt.datetime(2026, 3, 4, 14, 0, tzinfo=BEIJING)
    n = 3 * monitoring.BURST_COUNT
    for i in range(n):
        more_like(rec, start + dt.timedelta(seconds=60 * i), **auto)
    from chop.contracts.models import StampRecord

    found = monitoring.autosign_bursts(StampRecord.objects.filter(company=w["a"]))
    assert len(found) == 1 and found[0].count == n


def test_the_chinese_page_uses_full_width_punctuation(stamped, login):
    import re

    from tests.pages.test_punctuation import offences

    w, rec = stamped
    auto = {
        "signer": None,
        "signer_name": "",
        "authorisation_kind": "autosign",
        "intent_method": "auto",
    }
    start = dt.datetime(2026, 3, 7, 22, 0, tzinfo=BEIJING)  # a Saturday night
    for i in range(monitoring.BURST_COUNT + 1):
        more_like(rec, start + dt.timedelta(seconds=20 * i), **auto)
    c = login(w["a_owner"], w["a"])
    pages = [
        c.get(reverse("stamp_records"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode(),
        c.get(
            reverse("stamp_records"), {"date_from": "x"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode(),
        c.get(reverse("records"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode(),
    ]
    assert "非工作时间用印" in pages[0] and "静默签集中用印" in pages[0]
    # the stamping pages (the account-events page shows other apps' object names as they are)
    text = [
        re.sub(r"<[^>]+>", "\n", re.sub(r"(?s)<(script|style)\b.*?</\1>", "", p)) for p in pages[:2]
    ]
    bad = [line for t in text for line in t.splitlines() if offences(line)]
    assert bad == [], bad


def test_xlsx_stream_holds_every_row_across_batches(monkeypatch):
    """More rows than one batch, with text XML cannot hold as is (control characters, markup,
    leading spaces): every row reads back, in order, as the text it was."""
    import openpyxl

    from chop.evidence import exports

    fake = [[str(i), f" {i} <b>&amp;\x01", "中文"] + [""] * 17 for i in range(1234)]
    monkeypatch.setattr(exports, "rows", lambda qs: iter(fake))
    data = b"".join(exports.xlsx_chunks(None, len(fake)))
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    table = [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_col=3)]
    assert len(table) == 1234
    assert table[0] == ["0", " 0 <b>&amp;", "中文"] and table[-1][0] == "1233"
