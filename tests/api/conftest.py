"""API test support: keys and a client that sends them."""

from __future__ import annotations

import json

import pytest

ALL_SCOPES = ["read", "contracts", "stamping", "records"]


@pytest.fixture
def make_key(db):
    """``make_key(company, user, scopes=ALL_SCOPES, **fields)`` → (ApiKey, raw key)."""
    from chop.api import keys

    def make(company, user, scopes=None, **fields):
        key, raw = keys.make(
            company=company,
            user=user,
            name=fields.pop("name", "测试密钥"),
            scopes=list(ALL_SCOPES if scopes is None else scopes),
            expires_at=fields.pop("expires_at", None),
        )
        return key, raw

    return make


class Api:
    """Django's test client with the key in ``Authorization``; JSON bodies as JSON."""

    def __init__(self, client, raw_key: str | None, language: str = "zh-hans"):
        self.client = client
        self.raw_key = raw_key
        self.language = language

    def headers(self, extra: dict | None = None) -> dict:
        h = {"HTTP_ACCEPT_LANGUAGE": self.language}
        if self.raw_key:
            h["HTTP_AUTHORIZATION"] = f"Bearer {self.raw_key}"
        for name, value in (extra or {}).items():
            h["HTTP_" + name.upper().replace("-", "_")] = value
        return h

    def get(self, path: str, params=None, headers=None):
        return self.client.get(path, params or {}, **self.headers(headers))

    def delete(self, path: str, headers=None):
        return self.client.delete(path, **self.headers(headers))

    def post(self, path: str, json_body=None, *, files=None, data=None, headers=None):
        if files is not None or data is not None:
            return self.client.post(
                path, {**(data or {}), **(files or {})}, **self.headers(headers)
            )
        return self.client.post(
            path,
            json.dumps(json_body if json_body is not None else {}),
            content_type="application/json",
            **self.headers(headers),
        )

    def patch(self, path: str, json_body=None, headers=None):
        return self.client.patch(
            path,
            json.dumps(json_body or {}),
            content_type="application/json",
            **self.headers(headers),
        )


@pytest.fixture
def api_client(client):
    """``api_client(raw_key, language="zh-hans")`` → :class:`Api`."""

    def make(raw_key: str | None, language: str = "zh-hans") -> Api:
        return Api(client, raw_key, language)

    return make


@pytest.fixture
def company_key(make_user, make_company, make_key, api_client):
    """A company with an owner and an all-scopes key: ``{company, owner, key, raw, api}``."""
    owner = make_user("接口老板")
    company = make_company("接口测试公司", owner=owner)
    key, raw = make_key(company, owner)
    return {"company": company, "owner": owner, "key": key, "raw": raw, "api": api_client(raw)}
