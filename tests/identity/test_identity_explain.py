"""Every answer of the identity engine renders through ``chop.explain`` in Chinese and English.

The engine keeps its own bilingual text for the command line and stored evidence; the web app
shows ``explain(result)``, so every reason code needs an entry in ``chop/explain/identity.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from chop.explain import explain
from chop.explain.identity import MESSAGES
from chop.identity import (
    MicroDeposit,
    Outcome,
    PersonClaim,
    TransferResult,
    TransferStatus,
    VerificationResult,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)
from chop.identity.providers.review import ReviewIdentityProvider

TODAY = dt.date(2026, 1, 1)

# (validator, input, reason_code): one input per reason code of each local check
LOCAL = [
    (validate_resident_id, "11010519491231002X", "ok"),
    (validate_resident_id, "", "empty"),
    (validate_resident_id, "110105491231002", "legacy_15_digit"),
    (validate_resident_id, "1234", "wrong_length"),
    (validate_resident_id, "1101051949123100AX", "illegal_character"),
    (validate_resident_id, "00010519491231002X", "bad_area_code"),
    (validate_resident_id, "11010519491331002X", "bad_birth_date"),
    (validate_resident_id, "11010520991231002X", "birth_date_in_future"),
    (validate_resident_id, "11010518991231002X", "birth_date_too_early"),
    (validate_resident_id, "110105194912310021", "bad_check_digit"),
    (validate_uscc, "9144030071526726XG", "ok"),
    (validate_uscc, "", "empty"),
    (validate_uscc, "123", "wrong_length"),
    (validate_uscc, "9144030071526726IG", "illegal_character"),
    (validate_uscc, "0144030071526726XG", "bad_authority"),
    (validate_uscc, "9Y44030071526726XG", "bad_category"),
    (validate_uscc, "9100000071526726XG", "bad_division_code"),
    (validate_uscc, "91440300715267260G", "bad_org_code_check"),
    (validate_uscc, "9144030071526726X0", "bad_check_digit"),
    (validate_mobile, "13800138000", "ok"),
    (validate_mobile, "", "empty"),
    (validate_mobile, "+44 20 7946 0000", "not_mainland"),
    (validate_mobile, "1380013800a", "illegal_character"),
    (validate_mobile, "138", "wrong_length"),
    (validate_mobile, "12012345678", "bad_prefix"),
]


def _both(result) -> tuple[str, str]:
    with translation.override("zh-hans"):
        zh = explain(result)
    with translation.override("en"):
        en = explain(result)
    return zh, en


def _rendered(result) -> None:
    assert result.namespace == "identity" and result.code in MESSAGES, result.code
    zh, en = _both(result)
    assert "%(" not in zh and "%(" not in en
    assert zh != en and any("\u4e00" <= ch <= "\u9fff" for ch in zh), zh
    assert zh.endswith("。") and en.endswith("."), (zh, en)


@pytest.mark.parametrize(("validate", "value", "reason"), LOCAL)
def test_every_local_reason_code_renders_in_both_languages(validate, value, reason):
    kwargs = {"today": TODAY} if validate is validate_resident_id else {}
    result = validate(value, **kwargs)
    assert result.reason_code == reason
    _rendered(result)


def test_the_catalogue_covers_every_local_check_and_no_more():
    subjects = {
        "resident_id": validate_resident_id,
        "uscc": validate_uscc,
        "phone": validate_mobile,
    }
    local = {f"{k}.{r}" for v, _, r in LOCAL for k, f in subjects.items() if f is v}
    assert local == {k for k in MESSAGES if k.split(".")[0] in subjects}


def test_parameters_fill_the_sentence():
    zh, en = _both(validate_mobile("138"))
    assert zh == "手机号码应为 11 位，当前为 3 位。"
    assert en == "A mobile number has 11 digits, this one has 3."
    zh, _ = _both(validate_resident_id("110105194912310021", today=TODAY))
    assert zh == "校验码错误：最后一位应为 X，请检查是否输错。"


def test_deposit_answers():
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    d = MicroDeposit(37, t0, t0 + dt.timedelta(hours=72), max_attempts=3)
    seen = {}
    for entered in ("abc", "0.10", "0.11", "0.12", "0.37"):
        r = d.check(entered, now=t0)
        seen[r.reason_code] = r
    ok = MicroDeposit(37, t0, t0 + dt.timedelta(hours=72))
    seen["ok"] = ok.check("0.37", now=t0)
    seen["already_used"] = ok.check("0.37", now=t0)
    late = MicroDeposit(37, t0, t0 + dt.timedelta(hours=72))
    seen["expired"] = late.check("0.37", now=t0 + dt.timedelta(hours=73))
    assert set(seen) == {k.split(".")[1] for k in MESSAGES if k.startswith("deposit.")}
    for result in seen.values():
        _rendered(result)
    d = MicroDeposit(37, t0, t0 + dt.timedelta(hours=72), max_attempts=3)
    zh, en = _both(d.check("0.10", now=t0))
    assert zh == "金额不正确，还可尝试 2 次。" and en == "Wrong amount; 2 attempt(s) left."


def test_provider_answers():
    provider = ReviewIdentityProvider()
    local = provider.verify_person(PersonClaim("", "11010519491231002X"))
    assert local.code == "name.empty_name"
    bad_id = provider.verify_person(PersonClaim("张三", "110105194912310021"))
    assert bad_id.code == "resident_id.bad_check_digit" and bad_id.reason_code == "bad_check_digit"
    review = provider.verify_person(PersonClaim("张三", "11010519491231002X"))
    assert review.code == "provider.operator_review"
    answers = [local, bad_id, review] + [
        VerificationResult(status, "http", "name_mismatch") for status in Outcome
    ]
    answers += [TransferResult(status, "http", None, "account_closed") for status in TransferStatus]
    answers.append(
        TransferResult(TransferStatus.SENT, "console", None, "simulated", simulated=True)
    )
    for result in answers:
        _rendered(result)
    zh, en = _both(VerificationResult(Outcome.REFUSED, "http", "name_mismatch"))
    assert zh == "核验未通过（name_mismatch）。"
    assert en == "Not verified by the provider (name_mismatch)."
