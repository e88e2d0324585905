"""The gate of /api/v1/: keys, scopes of a key's maker, rate limits, problem+json."""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone

from chop.api.models import ApiKey

PATH = "/api/v1/contracts"


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    doc = json.loads(response.content)
    assert doc["status"] == status and doc["code"] == code
    assert doc["type"] == f"urn:chop:problem:{code}"
    return doc


def test_no_key_is_401_problem_in_chinese_by_default(api_client, db):
    doc = _problem(api_client(None).get(PATH), 401, "key_missing")
    assert "Bearer" in doc["detail"]
    assert doc["title"] == "未认证"


def test_no_key_in_english(api_client, db):
    doc = _problem(api_client(None, "en").get(PATH), 401, "key_missing")
    assert doc["title"] == "Not authenticated"


def test_openapi_document_is_public(api_client, db):
    response = api_client(None).get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.1")


def test_wrong_secret_revoked_expired(company_key, api_client):
    raw = company_key["raw"]
    _problem(api_client(raw[:-2] + "xx").get(PATH), 401, "key_invalid")
    key = company_key["key"]
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _problem(api_client(raw).get(PATH), 401, "key_expired")
    ApiKey.objects.filter(pk=key.pk).update(expires_at=None, revoked_at=timezone.now())
    _problem(api_client(raw).get(PATH), 401, "key_revoked")


def test_key_stops_when_its_maker_is_no_longer_a_manager(company_key, make_user, api_client):
    from chop.orgs.models import Membership, Role

    admin = make_user("管理员")
    m = Membership.objects.create(company=company_key["company"], user=admin, role=Role.ADMIN)
    from chop.api import keys

    _key, raw = keys.make(company=company_key["company"], user=admin, name="k", scopes=["read"])
    assert api_client(raw).get(PATH).status_code != 401
    m.role = Role.MEMBER
    m.save()
    _problem(api_client(raw).get(PATH), 401, "key_orphaned")


def test_the_window_counts_refusals_but_not_as_uses_and_opens_again(company_key, monkeypatch):
    """The key's own row counts its window (``keys.count_request``): a refused request counts
    toward the window and leaves the use untouched; the next window starts from one."""
    from chop.accounts import ratelimit
    from chop.api import keys

    key = company_key["key"]
    t0 = dt.datetime(2026, 12, 7, 9, 0, 10, tzinfo=dt.UTC)
    at = {"now": t0}
    monkeypatch.setattr(ratelimit, "clock", lambda: at["now"])

    counts = [keys.count_request(key, "10.0.0.1", limit=2, window=60) for _ in range(3)]
    assert [(w.allowed, w.count) for w in counts] == [(True, 1), (True, 2), (False, 3)]
    assert counts[2].retry_after == 50
    row = ApiKey.objects.get(pk=key.pk)
    assert (row.use_count, row.last_used_at, row.last_used_ip) == (2, t0, "10.0.0.1")
    at["now"] = t0 + dt.timedelta(seconds=20)
    refused = keys.count_request(key, "10.0.0.9", limit=2, window=60)
    assert not refused.allowed and refused.count == 4
    row = ApiKey.objects.get(pk=key.pk)
    assert (row.use_count, row.last_used_at, row.last_used_ip) == (2, t0, "10.0.0.1")
    at["now"] = t0 + dt.timedelta(seconds=55)  # 09:01:05, the next window
    again = keys.count_request(key, "10.0.0.2", limit=2, window=60)
    assert again.allowed and again.count == 1
    row = ApiKey.objects.get(pk=key.pk)
    assert (row.use_count, row.last_used_ip) == (3, "10.0.0.2")
    unknown = keys.count_request(key, None, limit=2, window=60)  # no address seen
    assert unknown.allowed and unknown.count == 2
    row = ApiKey.objects.get(pk=key.pk)
    assert (row.use_count, row.last_used_ip) == (4, None)


def test_use_is_recorded(company_key):
    company_key["api"].get(PATH)
    company_key["api"].get(PATH)
    key = ApiKey.objects.get(pk=company_key["key"].pk)
    assert key.use_count == 2
    assert key.last_used_at is not None and key.last_used_ip == "127.0.0.1"


def test_rate_limit_answers_429_with_retry_after(company_key, settings):
    settings.CHOP_API_RATE = "2/60"
    api = company_key["api"]
    assert api.get(PATH).status_code != 429
    assert api.get(PATH).status_code != 429
    response = api.get(PATH)
    _problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_an_unknown_operation_is_a_problem_not_a_page(company_key):
    doc = _problem(company_key["api"].get("/api/v1/no-such-thing"), 404, "no_such_operation")
    assert "openapi.json" in doc["detail"]
