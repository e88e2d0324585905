"""Seal-text rules for the seal studio (issue 10 §2): no imitation of the official seal, and the
name-length limit of each kind and size, for the live preview."""

from __future__ import annotations

import pytest

from chop.explain.sealart import MESSAGES
from chop.sealart import check_purpose, check_seal_text, max_name_chars

COMPANY = "上海示例科技有限公司"


@pytest.mark.parametrize(
    ("kind", "name", "purpose", "code"),
    [
        ("custom", COMPANY, "专用章", None),
        ("custom", COMPANY, "质检专用章", None),
        ("custom", COMPANY, None, None),
        ("custom", COMPANY + "公章", None, "imitates_official"),
        ("custom", "上海示例科技有限公司印章", "公 章", "imitates_official"),
        ("custom", COMPANY, "公章", "imitates_official"),
        ("custom", COMPANY, "ＸＸ公章", "imitates_official"),  # full-width forms normalised
        ("custom", COMPANY, "有限公司章", "imitates_official"),
        ("custom", COMPANY, "公司印章", "imitates_official"),
        ("contract", COMPANY, "公司章", "imitates_official"),
        ("contract", COMPANY, "合同专用章", None),
        ("finance", COMPANY, "财务专用章", None),
        ("hr", COMPANY, "人事专用章", None),
        ("custom", COMPANY, "合同专用章", "reserved_purpose"),
        ("custom", COMPANY, "发票专用章", "reserved_purpose"),
        ("finance", COMPANY, "合同专用章", "reserved_purpose"),
        ("custom", COMPANY, "法定代表人章", "reserved_purpose"),
        ("official", COMPANY, None, None),
    ],
)
def test_seal_text_imitating_the_official_seal_or_another_kind_is_refused(
    kind, name, purpose, code
):
    problem = check_purpose(kind, name, purpose)
    assert (problem.code if problem else None) == code
    if code is not None:
        assert problem.namespace == "sealart" and code in MESSAGES
        assert problem.params["text"]
        # check_seal_text (what the forms call) refuses it the same way
        full = check_seal_text(kind, name, purpose=purpose)
        assert full is not None and full.code == code


@pytest.mark.parametrize(
    ("kind", "sizes", "limit"),
    [
        ("official", {}, 42),  # Ø40, with the 13-digit code on the bottom arc
        ("contract", {}, 41),  # Ø40
        ("contract", {"size_mm": 38}, 39),
    ],
)
def test_a_name_too_long_for_the_size_reports_the_most_characters_that_fit(kind, sizes, limit):
    assert max_name_chars(kind, **sizes) == limit
    assert check_seal_text(kind, "国" * limit, **sizes) is None
    problem = check_seal_text(kind, "国" * (limit + 1), with_limit=True, **sizes)
    assert problem is not None and problem.code == "does_not_fit"
    assert problem.params["max_chars"] == limit


def test_invoice_name_limit_is_reported_too():
    """The 40×30 invoice oval carries the longest name any seal takes (48): beyond it, too_long
    with the same max_chars the preview shows."""
    assert max_name_chars("invoice") == 48
    problem = check_seal_text("invoice", "国" * 49, with_limit=True)
    assert problem is not None and problem.code == "too_long"
    assert problem.params["max_chars"] == 48


def test_other_refusals_carry_no_max_chars():
    problem = check_seal_text("official", "示例\U0001f600科技有限公司", with_limit=True)
    assert problem is not None and problem.code == "glyph"
    assert "max_chars" not in problem.params


def test_a_plain_check_does_not_search_for_the_limit(monkeypatch):
    """Forms only need yes or no: the seconds-long limit search is for the preview, on request."""
    import chop.sealart.text as text

    def searched(*args, **kwargs):
        raise AssertionError("max_name_chars was called")

    monkeypatch.setattr(text, "max_name_chars", searched)
    problem = check_seal_text("official", "国" * 60)
    assert problem is not None and "max_chars" not in problem.params
