"""``Idempotency-Key`` on the contract and auto-sign operations: a retry gets the stored answer,
never a second contract or a second stamp, also when twenty copies arrive at the same moment.

The race tests run the requests in threads, each with its own client and database connection,
against a real database: SQLite by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.test.client import encode_multipart
from django.utils import timezone

from chop.api.models import IdempotencyRecord
from chop.contracts.models import Contract, SigningAct, StampRecord
from tests.concurrency import at_once, errors
from tests.contracts.conftest import pdf_file, pdf_pages
from tests.contracts.signing_support import official_seal
from tests.grants.authorisation_support import a_contract, autosign
from tests.seals.conftest import verified_company  # noqa: F401  (fixture)

from .conftest import Api
from .test_contracts_api import BASE, ok, problem

N = 20
PDF = pdf_pages(2)


def create(api: Api, key: str | None, title: str = "采购合同"):
    headers = {"Idempotency-Key": key} if key else None
    return api.post(BASE, data={"title": title}, files={"file": pdf_file(PDF)}, headers=headers)


@pytest.fixture
def ck(company_key):
    return company_key


def test_a_retry_gets_the_stored_answer(ck):
    api = ck["api"]
    first = create(api, "k-1")
    body = ok(first, 201)
    again = create(api, "k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content) == body
    assert "Idempotent-Replayed" not in first
    assert Contract.objects.count() == 1
    # another key is another request
    ok(create(api, "k-2"), 201)
    assert Contract.objects.count() == 2


def test_the_same_key_with_another_body_is_422(ck):
    api = ck["api"]
    ok(create(api, "k-1"), 201)
    doc = problem(create(api, "k-1", title="另一个合同"), 422, "idempotency_key_reused")
    assert doc["detail"]
    assert Contract.objects.count() == 1
    # JSON bodies: key order and spacing do not make another request
    cid = Contract.objects.get().pk
    url = f"{BASE}/{cid}"
    headers = {"Idempotency-Key": "p-1"}
    first = api.patch(url, {"title": "甲", "number": "1"}, headers=headers)
    assert first.status_code == 200
    again = api.client.patch(
        url,
        '{ "number": "1",  "title": "甲" }',
        content_type="application/json",
        **api.headers(headers),
    )
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    problem(api.patch(url, {"title": "乙"}, headers=headers), 422, "idempotency_key_reused")


def test_a_key_still_running_is_409(ck):
    # the first request's row as it is while that request runs (same print, no answer yet)
    ok(create(ck["api"], "k-run"), 201)
    IdempotencyRecord.objects.filter(key="k-run").update(
        state=IdempotencyRecord.State.RUNNING, status=None, body=b"", content_type=""
    )
    response = create(ck["api"], "k-run")
    doc = problem(response, 409, "idempotency_in_flight")
    assert response["Retry-After"] == "1" and doc["detail"]
    assert Contract.objects.count() == 1
    # a 409 is not an answer to keep: the row still waits for the first request
    assert IdempotencyRecord.objects.get(key="k-run").state == IdempotencyRecord.State.RUNNING


def test_expired_rows_are_forgotten(ck):
    api = ck["api"]
    ok(create(api, "k-old"), 201)
    IdempotencyRecord.objects.filter(key="k-old").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1),
        created_at=timezone.now() - dt.timedelta(hours=24, seconds=1),
    )
    again = create(api, "k-old", title="一天以后")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Contract.objects.count() == 2
    assert IdempotencyRecord.objects.filter(key="k-old").count() == 1


def test_a_server_error_is_not_stored(ck, monkeypatch):
    from chop.api import contracts_api

    real = contracts_api.documents.create_draft

    def broken(**kw):
        raise RuntimeError("storage down")

    monkeypatch.setattr(contracts_api.documents, "create_draft", broken)
    problem(create(ck["api"], "k-5xx"), 500, "server_error")
    assert not IdempotencyRecord.objects.filter(key="k-5xx").exists()
    monkeypatch.setattr(contracts_api.documents, "create_draft", real)
    response = create(ck["api"], "k-5xx")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Contract.objects.count() == 1


def test_the_operation_and_its_stored_answer_commit_together(ck, monkeypatch):
    """A process that dies after the operation but before its answer is stored (here: the
    answer's write fails) leaves neither: no contract, and the key free for the retry, which
    then makes exactly one. A 5xx after the operation changed something rolls it back too."""
    from chop.api import idempotency

    real_filter = IdempotencyRecord.objects.filter

    class Dies:
        def update(self, **fields):
            raise SystemExit("the worker died before storing the answer")

        def delete(self):
            return 0, {}  # a dead process cleans nothing up

    def filter_(*args, **kwargs):
        return Dies() if kwargs.keys() == {"pk"} and not args else real_filter(*args, **kwargs)

    monkeypatch.setattr(idempotency.IdempotencyRecord.objects, "filter", filter_)
    with pytest.raises(SystemExit):
        create(ck["api"], "k-dies")
    monkeypatch.undo()
    assert Contract.objects.count() == 0
    left = IdempotencyRecord.objects.get(key="k-dies")
    assert left.state == IdempotencyRecord.State.RUNNING
    assert create(ck["api"], "k-dies").status_code == 409  # until it is taken for abandoned
    IdempotencyRecord.objects.filter(pk=left.pk).update(
        created_at=timezone.now() - idempotency.STALE_AFTER - dt.timedelta(seconds=1)
    )
    response = create(ck["api"], "k-dies")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Contract.objects.count() == 1

    from chop.api import contracts_api

    real = contracts_api.contract_out

    def made_then_broke(contract):
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(contracts_api, "contract_out", made_then_broke)
    problem(create(ck["api"], "k-half"), 500, "server_error")
    monkeypatch.setattr(contracts_api, "contract_out", real)
    assert Contract.objects.count() == 1  # the second contract was rolled back with the 500


def test_a_refusal_is_stored_like_any_answer(ck):
    doc = problem(create(ck["api"], "k-bad", title=" "), 422, "invalid")
    again = create(ck["api"], "k-bad", title=" ")
    assert again.status_code == 422 and again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content) == doc


def test_multipart_retried_with_another_boundary_is_the_same_request(ck):
    api = ck["api"]

    def post(boundary: str):
        body = encode_multipart(
            boundary, {"title": "采购合同", "number": "HT-7", "file": pdf_file(PDF)}
        )
        return api.client.post(
            BASE,
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
            **api.headers({"Idempotency-Key": "k-mp"}),
        )

    first = post("BoUnDaRy-one-1111")
    assert first.status_code == 201
    again = post("another-boundary-2222-xyz")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content) == json.loads(first.content)
    assert Contract.objects.count() == 1


def test_auto_sign_replayed_signs_once(verified_company, make_user, make_key, api_client):  # noqa: F811
    w = _signing_world(verified_company, make_user)
    contract, _pa = a_contract(w)
    seal = official_seal(w["a"])
    autosign(seal, w["a_owner"])
    _key, raw = make_key(w["a"], w["a_owner"])
    api = api_client(raw)
    url = f"{BASE}/{contract.pk}/auto-sign"
    first = ok(api.post(url, {"seal_id": seal.pk}, headers={"Idempotency-Key": "s-1"}), 201)
    again = api.post(url, {"seal_id": seal.pk}, headers={"Idempotency-Key": "s-1"})
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content) == first
    assert SigningAct.objects.count() == 1 and StampRecord.objects.count() == 1


def _signing_world(verified_company, make_user):  # noqa: F811
    a_owner, b_owner = make_user("甲方老板"), make_user("乙方老板")
    return {
        "a": verified_company("甲方科技有限公司", owner=a_owner),
        "b": verified_company("乙方贸易有限公司", owner=b_owner),
        "a_owner": a_owner,
        "b_owner": b_owner,
    }


# --- twenty at once -------------------------------------------------------------------------


def _codes(results) -> list[int]:
    assert errors(results) == [], errors(results)
    return [r.status_code for r in results]


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_creates_at_once_make_one_contract(company_key):
    raw = company_key["raw"]
    apis = [Api(Client(), raw) for _ in range(N)]

    results = at_once(N, lambda i: create(apis[i], "race-create"))

    codes = _codes(results)
    assert Contract.objects.count() == 1, codes
    assert set(codes) <= {201, 409}, codes
    created = [r for r in results if r.status_code == 201]
    assert sum(1 for r in created if "Idempotent-Replayed" not in r) == 1
    bodies = {r.content for r in created}
    assert len(bodies) == 1
    for r in results:
        if r.status_code == 409:
            assert json.loads(r.content)["code"] == "idempotency_in_flight"
    # once it finished, every retry gets the one contract
    late = create(apis[0], "race-create")
    assert late.status_code == 201 and late["Idempotent-Replayed"] == "true"
    assert json.loads(late.content)["id"] == Contract.objects.get().pk


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_auto_signs_at_once_stamp_once(verified_company, make_user, make_key):  # noqa: F811
    w = _signing_world(verified_company, make_user)
    contract, pa = a_contract(w)
    seal = official_seal(w["a"])
    autosign(seal, w["a_owner"], daily_cap=100)
    _key, raw = make_key(w["a"], w["a_owner"])
    apis = [Api(Client(), raw) for _ in range(N)]
    url = f"{BASE}/{contract.pk}/auto-sign"

    results = at_once(
        N,
        lambda i: apis[i].post(url, {"seal_id": seal.pk}, headers={"Idempotency-Key": "race-sign"}),
    )

    codes = _codes(results)
    assert SigningAct.objects.count() == 1 and StampRecord.objects.count() == 1, codes
    assert set(codes) <= {201, 409}, codes
    signed = [r for r in results if r.status_code == 201]
    assert sum(1 for r in signed if "Idempotent-Replayed" not in r) == 1
    assert len({r.content for r in signed}) == 1
    pa.refresh_from_db()
    assert pa.state == "signed"


@pytest.mark.django_db(transaction=True)
def test_twenty_auto_signs_without_a_key_stamp_once_and_refuse_the_rest(
    verified_company,  # noqa: F811
    make_user,
    make_key,
):
    w = _signing_world(verified_company, make_user)
    contract, pa = a_contract(w)
    seal = official_seal(w["a"])
    authorisation = autosign(seal, w["a_owner"], daily_cap=100)
    _key, raw = make_key(w["a"], w["a_owner"])
    apis = [Api(Client(), raw) for _ in range(N)]
    url = f"{BASE}/{contract.pk}/auto-sign"

    results = at_once(N, lambda i: apis[i].post(url, {"seal_id": seal.pk}))

    codes = _codes(results)
    assert codes.count(201) == 1 and codes.count(409) == N - 1, codes
    for r in results:
        if r.status_code == 409:
            assert json.loads(r.content)["code"] == "not_your_turn"
    assert SigningAct.objects.count() == 1 and StampRecord.objects.count() == 1
    authorisation.refresh_from_db()
    assert authorisation.uses == 1
