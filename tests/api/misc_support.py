"""Two verified companies with real seals and keys, for the seals, grants, records, evidence and
verify operations' tests.

``world``: signing_world (company A: owner, seal keeper, member; company B: owner; each with its
generated official seal) plus ``a_raw``/``a_api`` (A's owner's all-scopes key) and ``b_api``."""

from __future__ import annotations

import json

import pytest

from tests.contracts.conftest import _commit_work_per_request  # noqa: F401  (autouse)
from tests.contracts.signing_support import signing_world  # noqa: F401  (fixture)
from tests.seals.conftest import verified_company  # noqa: F401  (fixture)


@pytest.fixture
def world(signing_world, make_key, api_client):  # noqa: F811
    w = dict(signing_world)
    _key, w["a_raw"] = make_key(w["a"], w["a_owner"])
    w["a_api"] = api_client(w["a_raw"])
    _key, w["b_raw"] = make_key(w["b"], w["b_owner"])
    w["b_api"] = api_client(w["b_raw"])

    def scoped(*scopes, company="a"):
        _k, raw = make_key(w[company], w[f"{company}_owner"], scopes=list(scopes))
        return api_client(raw)

    w["scoped"] = scoped
    return w


def body(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return json.loads(response.content)


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert response["Content-Type"] == "application/problem+json"
    doc = json.loads(response.content)
    assert doc["code"] == code, doc
    return doc
