# ruff: noqa: F811  (pytest fixtures imported for use by name)
"""/api/v1/grants: list and read the company's seal grants, grant a seal, revoke a grant."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from .misc_support import (  # noqa: F401
    _commit_work_per_request,
    body,
    problem,
    signing_world,
    verified_company,
    world,
)

pytestmark = pytest.mark.django_db


def _official(company):
    from chop.seals.models import Seal

    return Seal.objects.get(company=company, kind="official", status="active")


def _grant_json(w, **changes):
    data = {
        "seal_id": _official(w["a"]).pk,
        "member_ids": [w["a_member"].pk],
        "contract_types": ["采购合同", " 采购合同 "],
        "valid_until": (timezone.now() + dt.timedelta(days=30)).isoformat(),
        "max_uses": 5,
        "note": "接口授权",
    }
    data.update(changes)
    return data


def test_grant_a_seal_to_a_member_and_read_it_back(world, capfd):
    from chop.audit.models import AuditEvent
    from chop.grants.models import Grant

    api = world["a_api"]
    doc = body(api.post("/api/v1/grants", _grant_json(world)), 201)
    made = Grant.objects.get(pk=doc["id"])
    assert list(made.members.all()) == [world["a_member"]]
    assert doc["seal_id"] == _official(world["a"]).pk
    assert doc["state"] == "active" and doc["member_ids"] == [world["a_member"].pk]
    assert doc["contract_types"] == ["采购合同"]  # blanks and duplicates dropped by the service
    assert doc["max_uses"] == 5 and doc["uses"] == 0 and doc["long_term"] is False
    assert doc["valid_until"] and doc["revoked_at"] is None and doc["is_default"] is False
    assert made.granted_by == world["a_owner"]
    assert AuditEvent.objects.filter(action="grant.created").exists()
    told = capfd.readouterr()  # the grantee is told (by SMS: their contact is a phone)
    assert "您已获授权使用印章" in told.out + told.err
    assert body(api.get(f"/api/v1/grants/{made.pk}")) == doc
    listed = body(api.get("/api/v1/grants", {"seal_id": made.seal_id}))
    assert made.pk in [g["id"] for g in listed["items"]]


def test_long_term_grant_by_role(world):
    doc = body(
        world["a_api"].post(
            "/api/v1/grants",
            _grant_json(
                world, member_ids=[], roles=["seal_user"], valid_until=None, long_term=True
            ),
        ),
        201,
    )
    assert doc["long_term"] is True and doc["valid_until"] is None and doc["roles"] == ["seal_user"]


def test_refusals_are_422_with_fields(world):
    api = world["a_api"]
    doc = problem(
        api.post("/api/v1/grants", _grant_json(world, member_ids=[world["b_owner"].pk])),
        422,
        "invalid",
    )
    assert [e["field"] for e in doc["errors"]] == ["member_ids"]
    too_long = (timezone.now() + dt.timedelta(days=5 * 365)).isoformat()
    doc = problem(
        api.post("/api/v1/grants", _grant_json(world, valid_until=too_long)), 422, "invalid"
    )
    assert [e["field"] for e in doc["errors"]] == ["valid_until"]
    doc = problem(api.post("/api/v1/grants", _grant_json(world, valid_until=None)), 422, "invalid")
    assert [e["field"] for e in doc["errors"]] == ["valid_until"]
    doc = problem(
        api.post("/api/v1/grants", _grant_json(world, member_ids=[], roles=["boss"])),
        422,
        "invalid",
    )
    assert "roles" in [e["field"] for e in doc["errors"]]
    doc = problem(api.post("/api/v1/grants", {"member_ids": "x"}), 422, "invalid")
    assert {"seal_id", "member_ids"} <= {e["field"] for e in doc["errors"]}
    doc = problem(api.post("/api/v1/grants", _grant_json(world, seal_id=2**70)), 422, "invalid")
    assert [e["field"] for e in doc["errors"]] == ["seal_id"]
    doc = problem(api.post("/api/v1/grants", _grant_json(world, max_uses=0)), 422, "invalid")
    assert [e["field"] for e in doc["errors"]] == ["max_uses"]
    problem(api.get("/api/v1/grants", {"seal_id": 2**70}), 422, "invalid")


def test_revoke_then_revoke_again_is_409(world):
    from chop.grants.models import Grant

    api = world["a_api"]
    made = body(api.post("/api/v1/grants", _grant_json(world)), 201)
    doc = body(api.post(f"/api/v1/grants/{made['id']}/revoke"))
    assert doc["state"] == "revoked" and doc["revoked_at"]
    assert Grant.objects.get(pk=made["id"]).revoked_by == world["a_owner"]
    problem(api.post(f"/api/v1/grants/{made['id']}/revoke"), 409, "grant_ended")
    assert [g["id"] for g in body(api.get("/api/v1/grants", {"state": "revoked"}))["items"]] == [
        made["id"]
    ]
    active = body(api.get("/api/v1/grants", {"state": "active"}))["items"]
    assert made["id"] not in [g["id"] for g in active]
    problem(api.get("/api/v1/grants", {"state": "sleeping"}), 422, "invalid")


def test_states_follow_the_clock(world):
    api = world["a_api"]
    later = timezone.now() + dt.timedelta(days=2)
    pending = body(
        api.post(
            "/api/v1/grants",
            _grant_json(
                world,
                valid_from=later.isoformat(),
                valid_until=(later + dt.timedelta(days=1)).isoformat(),
            ),
        ),
        201,
    )
    assert pending["state"] == "pending"
    ids = [g["id"] for g in body(api.get("/api/v1/grants", {"state": "pending"}))["items"]]
    assert ids == [pending["id"]]


def test_other_company_grants_are_404_and_never_listed(world):
    from chop.grants.models import Grant

    b_grant = body(
        world["b_api"].post(
            "/api/v1/grants",
            {
                "seal_id": _official(world["b"]).pk,
                "roles": ["member"],
                "long_term": True,
            },
        ),
        201,
    )
    api = world["a_api"]
    problem(api.get(f"/api/v1/grants/{b_grant['id']}"), 404, "not_found")
    problem(api.post(f"/api/v1/grants/{b_grant['id']}/revoke"), 404, "not_found")
    assert Grant.objects.get(pk=b_grant["id"]).revoked_at is None
    assert b_grant["id"] not in [g["id"] for g in body(api.get("/api/v1/grants"))["items"]]
    # granting B's seal with A's key: B's seal is not A's
    problem(
        api.post("/api/v1/grants", _grant_json(world, seal_id=_official(world["b"]).pk)),
        404,
        "not_found",
    )


def test_scopes(world):
    read_only = world["scoped"]("read")
    assert read_only.get("/api/v1/grants").status_code == 200
    problem(read_only.post("/api/v1/grants", _grant_json(world)), 403, "scope_missing")
    problem(world["scoped"]("stamping").get("/api/v1/grants"), 403, "scope_missing")
    assert world["scoped"]("stamping").post("/api/v1/grants", _grant_json(world)).status_code == 201


def test_an_admin_key_grants_but_a_demoted_maker_cannot(world, make_key, api_client):
    from chop.orgs.models import Membership, Role

    admin = world["a_member"]
    Membership.objects.filter(company=world["a"], user=admin).update(role=Role.ADMIN)
    _k, raw = make_key(world["a"], admin)
    api = api_client(raw)
    assert api.post("/api/v1/grants", _grant_json(world, member_ids=[])).status_code == 422
    assert (
        api.post(
            "/api/v1/grants", _grant_json(world, member_ids=[world["a_keeper"].pk])
        ).status_code
        == 201
    )
