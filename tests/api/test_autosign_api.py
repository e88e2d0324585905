"""Auto-sign over the API: the key's company party stamps under the seal's auto-sign
authorisation, recorded like any stamp; every refusal is a problem with the signing code."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from chop.contracts.models import Contract, Participant, SigningAct, StampRecord
from tests.contracts.signing_support import official_seal
from tests.grants.authorisation_support import a_contract, autosign
from tests.seals.conftest import verified_company  # noqa: F401  (fixture)

from .test_contracts_api import chinese, ok, problem


@pytest.fixture
def w(verified_company, make_user, make_key, api_client):  # noqa: F811
    a_owner, b_owner, c_owner = make_user("甲方老板"), make_user("乙方老板"), make_user("丙方老板")
    a = verified_company("甲方科技有限公司", owner=a_owner)
    b = verified_company("乙方贸易有限公司", owner=b_owner)
    c = verified_company("丙方咨询有限公司", owner=c_owner)
    out = {"a": a, "b": b, "c": c, "a_owner": a_owner, "b_owner": b_owner, "c_owner": c_owner}
    for name, company, owner in (("a", a, a_owner), ("b", b, b_owner), ("c", c, c_owner)):
        key, raw = make_key(company, owner)
        out[f"{name}_key"] = key
        out[f"{name}_api"] = api_client(raw)
        out[f"{name}_en"] = api_client(raw, "en")
    _key, raw = make_key(a, a_owner, scopes=["read", "contracts"])
    out["a_nostamp"] = api_client(raw)
    return out


def url(contract) -> str:
    return f"/api/v1/contracts/{contract.pk}/auto-sign"


def test_auto_sign_stamps_and_records(w):
    contract, pa = a_contract(w)
    seal = official_seal(w["a"])
    authorisation = autosign(seal, w["a_owner"])
    body = ok(w["a_api"].post(url(contract), {"seal_id": seal.pk}), 201)
    act = SigningAct.objects.get()
    assert body["act"]["id"] == act.pk and body["act"]["participant_id"] == pa.pk
    assert body["act"]["seal_id"] == seal.pk and body["act"]["authorisation_kind"] == "autosign"
    assert body["act"]["pages"] == [2] and body["act"]["level"]
    assert act.autosign == authorisation and act.signer is None
    record = StampRecord.objects.get()
    assert record.device == f"API key {w['a_key'].prefix}" and record.ip == "127.0.0.1"
    assert record.authorisation_kind == "autosign"
    states = {p["id"]: p["state"] for p in body["contract"]["participants"]}
    assert states[pa.pk] == "signed"
    assert [v["number"] for v in body["contract"]["versions"]] == [2, 1]
    # signed once: the party is no longer to sign
    doc = problem(w["a_en"].post(url(contract), {"seal_id": seal.pk}), 409, "not_your_turn")
    assert "turn" in doc["detail"]
    assert SigningAct.objects.count() == 1


def test_counterparty_auto_signs_and_never_sees_the_half_signed_version(w):
    contract, pa = a_contract(w)
    a_seal, b_seal = official_seal(w["a"]), official_seal(w["b"])
    autosign(a_seal, w["a_owner"])
    autosign(b_seal, w["b_owner"])
    # B's turn has not come yet (in order: A first)
    doc = problem(w["b_en"].post(url(contract), {"seal_id": b_seal.pk}), 409, "not_your_turn")
    assert doc["detail"]
    ok(w["a_api"].post(url(contract), {"seal_id": a_seal.pk}), 201)
    seen = ok(w["b_api"].get(f"/api/v1/contracts/{contract.pk}"))
    assert [v["number"] for v in seen["versions"]] == [1]
    problem(w["b_api"].get(f"/api/v1/contracts/{contract.pk}/versions/2/file"), 404)
    body = ok(w["b_api"].post(url(contract), {"seal_id": b_seal.pk}), 201)
    assert body["contract"]["state"] == "completed"
    assert [v["number"] for v in body["contract"]["versions"]] == [3, 1]
    assert w["b_api"].get(f"/api/v1/contracts/{contract.pk}/versions/3/file").status_code == 200
    problem(w["b_api"].get(f"/api/v1/contracts/{contract.pk}/versions/2/file"), 404)


def test_the_answer_is_the_contract_as_a_read_after_the_act_shows_it(w):
    """The act moves what it read under the lock in place and answers with it: the signed
    party, the next party in order now to sign, the completed contract and the new version
    are what a GET finds afterwards, field by field."""
    contract, pa = a_contract(w)
    a_seal, b_seal = official_seal(w["a"]), official_seal(w["b"])
    autosign(a_seal, w["a_owner"])
    autosign(b_seal, w["b_owner"])
    first = ok(w["a_api"].post(url(contract), {"seal_id": a_seal.pk}), 201)["contract"]
    assert [p["state"] for p in first["participants"]] == ["signed", "to_sign"]
    assert first["state"] == "signing"
    assert first == ok(w["a_api"].get(f"/api/v1/contracts/{contract.pk}"))
    last = ok(w["b_api"].post(url(contract), {"seal_id": b_seal.pk}), 201)["contract"]
    assert [p["state"] for p in last["participants"]] == ["signed", "signed"]
    assert last["state"] == "completed" and last["finished_at"]
    assert last == ok(w["b_api"].get(f"/api/v1/contracts/{contract.pk}"))


def test_refusals_without_authorisation_over_cap_or_out_of_scope(w):
    contract, _pa = a_contract(w, contract_type="采购合同")
    seal = official_seal(w["a"])
    doc = problem(w["a_en"].post(url(contract), {"seal_id": seal.pk}), 403, "autosign_none")
    assert "no auto-sign authorisation" in doc["detail"]
    zh = problem(w["a_api"].post(url(contract), {"seal_id": seal.pk}), 403, "autosign_none")
    assert chinese(zh["detail"])
    wrong = autosign(seal, w["a_owner"], types=["销售合同"])
    problem(w["a_api"].post(url(contract), {"seal_id": seal.pk}), 403, "autosign_scope")
    wrong.contract_types = []
    wrong.daily_cap = 1
    wrong.uses_day = timezone.localdate()
    wrong.uses_on_day = 1
    wrong.save()
    problem(w["a_api"].post(url(contract), {"seal_id": seal.pk}), 403, "autosign_cap")
    assert SigningAct.objects.count() == 0 and StampRecord.objects.count() == 0


def test_seal_party_contract_and_scope_must_be_the_callers(w):
    contract, pa = a_contract(w)
    seal = official_seal(w["a"])
    autosign(seal, w["a_owner"])
    # another company's seal: 404, as if it did not exist
    b_seal = official_seal(w["b"])
    problem(w["a_api"].post(url(contract), {"seal_id": b_seal.pk}), 404, "not_found")
    problem(w["a_api"].post(url(contract), {"seal_id": 987654321}), 404, "not_found")
    # a party that is not the caller's
    pb = Participant.objects.get(contract=contract, company=w["b"])
    problem(
        w["a_api"].post(url(contract), {"seal_id": seal.pk, "participant_id": pb.pk}),
        404,
        "not_found",
    )
    # a company that is not a party does not see the contract at all
    c_seal = official_seal(w["c"])
    problem(w["c_api"].post(url(contract), {"seal_id": c_seal.pk}), 404, "not_found")
    # the key needs the stamping scope
    doc = problem(w["a_nostamp"].post(url(contract), {"seal_id": seal.pk}), 403, "scope_missing")
    assert "stamping" in doc["detail"]
    # the party named explicitly works
    body = ok(w["a_api"].post(url(contract), {"seal_id": seal.pk, "participant_id": pa.pk}), 201)
    assert body["act"]["participant_id"] == pa.pk


def test_contract_not_being_signed_and_party_without_positions(w):
    contract, _pa = a_contract(w)
    seal = official_seal(w["a"])
    autosign(seal, w["a_owner"])
    Contract.objects.filter(pk=contract.pk).update(state="revoked")
    problem(w["a_api"].post(url(contract), {"seal_id": seal.pk}), 409)
    bare, _pa = a_contract(w, positions=False)
    doc = problem(w["a_en"].post(url(bare), {"seal_id": seal.pk}), 422, "autosign_positions")
    assert "positions" in doc["detail"]


def test_invalid_body_is_422(w):
    contract, _pa = a_contract(w)
    doc = problem(w["a_en"].post(url(contract), {}), 422, "invalid")
    assert any("seal_id" in (e["field"] or "") for e in doc["errors"])
    response = w["a_api"].post(url(contract), {"seal_id": "x"})
    assert response.status_code == 422
    assert json.loads(response.content)["code"] == "invalid"


def test_signing_latency_and_api_requests_in_metrics(w, client):
    from prometheus_client import REGISTRY

    def count(name: str, **labels) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0

    signed = {"mode": "auto", "outcome": "signed"}
    refused = {"mode": "auto", "outcome": "refused"}
    before = (
        count("chop_signing_seconds_count", **signed),
        count("chop_signing_seconds_count", **refused),
    )
    contract, _pa = a_contract(w)
    seal = official_seal(w["a"])
    problem(w["a_en"].post(url(contract), {"seal_id": seal.pk}), 403, "autosign_none")
    autosign(seal, w["a_owner"])
    ok(w["a_api"].post(url(contract), {"seal_id": seal.pk}), 201)
    assert count("chop_signing_seconds_count", **signed) == before[0] + 1
    assert count("chop_signing_seconds_count", **refused) == before[1] + 1
    assert count("chop_signing_seconds_sum", **signed) > 0
    # the scrape shows the act and the API route by its name, not its path with the id
    text = client.get("/metrics").content.decode()
    assert 'chop_signing_seconds_bucket{le="+Inf",mode="auto",outcome="signed"}' in text
    assert f"/contracts/{contract.pk}/" not in text
    assert 'route="api:auto_sign",status="201"' in text
