"""The OpenAPI document, and the API checked against it by schemathesis (a tool nobody here wrote).

The document: OpenAPI 3.1, bearer keys, a summary on every operation, and the problem answers
declared where they can happen (401 and 429 everywhere — the gate gives them; 403 everywhere — every
operation needs a scope; 404 with ids in the path; 422 with a body or query parameters), each as
``application/problem+json``.

The API: schemathesis generates requests for every operation from the document (a bounded,
deterministic number per operation) and sends them through the WSGI application with a key of
all scopes; no answer may be a 5xx, and every answer must match the document (body schema and
content type). Path ids are those of the key's own company (a draft with a party and a
position, a seal, a grant, a ready evidence report, a stamping record), so the successful answers
are checked too, not only the 404s; an object a call removed or moved on is made again for the
next call.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
import schemathesis
from django.core.files.base import ContentFile
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.orgs.test_tenant_isolation import (
    _b_contract,
    _b_grant,
    _b_party,
    _b_stamp_record,
)
from tests.support.pdfsign_testing import make_pdf

DOC = "/api/v1/openapi.json"
PROBLEM = "application/problem+json"
METHODS = {"get", "post", "put", "patch", "delete"}


def _document() -> dict:
    from chop.api.v1 import api

    return api.get_openapi_schema(path_prefix="/api/v1/")


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def test_the_document_is_openapi_3_1_with_bearer_keys(client):
    served = client.get(DOC)
    assert served.status_code == 200
    doc = served.json()
    assert doc["paths"] == json.loads(json.dumps(_document()["paths"]))
    assert doc["openapi"].startswith("3.1")
    schemes = doc["components"]["securitySchemes"]
    assert schemes and all(
        s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes.values()
    ), schemes
    for method, path, op in _operations(doc):
        assert op.get("security"), (method, path)
        assert {next(iter(s)) for s in op["security"]} <= set(schemes), (method, path)


def _problem_statuses(path: str, op: dict) -> set[str]:
    wanted = {"401", "403", "429"}
    if re.search(r"{\w+}", path):
        wanted.add("404")
    if "requestBody" in op or any(p.get("in") == "query" for p in op.get("parameters", [])):
        wanted.add("422")
    return wanted


def test_every_operation_is_described_and_declares_its_problems():
    doc = json.loads(json.dumps(_document()))  # status codes as the served document has them
    ops = list(_operations(doc))
    assert ops, "the API has no operations"
    missing = []
    for method, path, op in ops:
        label = f"{method.upper()} {path}"
        if not (op.get("summary") or "").strip():
            missing.append(f"{label}: no summary")
        if not (op.get("description") or "").strip():
            missing.append(f"{label}: no description")
        responses = op.get("responses", {})
        if not any(code.startswith("2") for code in responses):
            missing.append(f"{label}: no success response")
        for status in sorted(_problem_statuses(path, op)):
            declared = responses.get(status)
            if declared is None:
                missing.append(f"{label}: {status} not declared")
            elif set(declared.get("content", {})) != {PROBLEM}:
                missing.append(f"{label}: {status} is not {PROBLEM}")
        for status, declared in responses.items():
            if status[0] in "45" and set(declared.get("content", {})) != {PROBLEM}:
                missing.append(f"{label}: {status} is not {PROBLEM}")
    assert not missing, "\n".join(missing)


def test_no_two_schemas_share_a_component_name():
    """The document names each schema component by its class name: two classes of one name (say
    a ProblemOut per area) become one component, and one of them is then documented wrongly."""
    import importlib
    import inspect
    import pkgutil

    from ninja import Schema

    import chop.api

    by_name: dict[str, set[str]] = {}
    for info in pkgutil.walk_packages(chop.api.__path__, "chop.api."):
        if ".migrations" in info.name or ".tests" in info.name:
            continue
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Schema) and cls is not Schema and cls.__module__ == info.name:
                by_name.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    twice = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not twice, twice


# --- schemathesis ---------------------------------------------------------------------------------

MAX_EXAMPLES = 12


@pytest.fixture
def own(db, make_user, make_company, make_key):
    """The key's company and the objects whose ids fill the path parameters (made lazily, and
    again when a call removed or moved one on)."""
    owner = make_user("接口测试老板")
    company = make_company("接口测试有限公司", owner=owner)
    _key, raw = make_key(company, owner)
    return {"company": company, "owner": owner, "raw": raw}


def _official_seal(w):
    """The company verified, with its certificate and official seal (as approval leaves it):
    made only for the operations that need a seal, issuing a certificate is slow."""
    from chop.orgs.models import Company
    from chop.seals.issuance import ensure_official_seal
    from tests.seals.conftest import next_uscc

    if "official_seal" not in w:
        Company.objects.filter(pk=w["company"].pk).update(status="verified", uscc=next_uscc())
        w["company"].refresh_from_db()
        w["official_seal"] = ensure_official_seal(w["company"], by=w["owner"])
    return w["official_seal"]


def _position(w) -> int:
    from chop.contracts.models import Position

    if "position" not in w:
        w["position"] = Position.objects.create(
            participant_id=_b_party(w), form="single", page=1, x_mm=50, y_mm=50, size_mm=40
        )
    return w["position"].pk


def _report(w) -> int:
    """A ready evidence report of a sent contract, with its file in storage."""
    from chop.contracts.models import Contract
    from chop.evidence.models import EvidenceReport

    if "report" not in w:
        Contract.objects.filter(pk=_b_contract(w)).update(state="signing")
        report = EvidenceReport.objects.create(
            contract_id=w["contract"].pk,
            requested_by=w["owner"],
            state="ready",
            sha256="0" * 64,
        )
        report.file.save(f"evidence-{report.pk}.pdf", ContentFile(make_pdf(1)), save=True)
        w["report"] = report
    return w["report"].pk


def _seal_id(w) -> int:
    return _official_seal(w).pk


def _grant(w) -> int:
    if "grant" not in w:
        w["seal"] = _official_seal(w)
        return _b_grant(w)
    return w["grant"].pk


IDS = {
    "contract_id": _b_contract,
    "participant_id": _b_party,
    "position_id": _position,
    "seal_id": _seal_id,
    "grant_id": _grant,
    "report_id": _report,
    "stamp_id": _b_stamp_record,
    "number": lambda w: (_b_contract(w), 1)[1],
}


def _forget_changed(w) -> None:
    """Drop the cached objects a call removed or moved on, so the next call gets fresh ones."""
    from chop.contracts.models import Contract, Participant, Position

    contract = w.get("contract")
    if contract is not None and not Contract.objects.filter(pk=contract.pk, state="draft").exists():
        for name in ("contract", "party", "position", "report", "stamp_record"):
            w.pop(name, None)
    party = w.get("party")
    if party is not None and not Participant.objects.filter(pk=party.pk).exists():
        w.pop("party", None)
        w.pop("position", None)
    position = w.get("position")
    if position is not None and not Position.objects.filter(pk=position.pk).exists():
        w.pop("position", None)


def _labels() -> list[str]:
    """Every operation of the document, read when the tests are collected (no database)."""
    return [f"{method.upper()} {path}" for method, path, _op in _operations(_document())]


@pytest.fixture
def api_schema(db):
    """The document as the app serves it, with the app itself as schemathesis' transport. The
    app's requests run in this test's transaction, so, as Django's test client does, the end of
    a request must not close the database connection."""
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    config = schemathesis.Config.from_dict(
        {"generation": {"max-examples": MAX_EXAMPLES, "deterministic": True}}
    )
    try:
        yield schemathesis.openapi.from_wsgi(DOC, get_wsgi_application(), config=config)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("label", _labels())
def test_every_operation_conforms_to_the_document(label, api_schema, own):
    """One operation: valid and invalid requests generated from the document (schemathesis'
    positive and negative modes), each answered without a 5xx and as documented."""
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=strategy)
    def call(case):
        _forget_changed(own)
        if case.path_parameters:
            case.path_parameters = {
                name: IDS[name](own) if name in IDS else value
                for name, value in case.path_parameters.items()
            }
        headers = {"Authorization": f"Bearer {own['raw']}", "Accept-Language": "en"}
        if case.method.upper() in ("POST", "PATCH"):
            headers["Idempotency-Key"] = uuid.uuid4().hex
        response = case.call(headers=headers)
        case.validate_response(
            response,
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            headers=headers,
        )

    call()
