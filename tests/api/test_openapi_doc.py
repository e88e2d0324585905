"""The served OpenAPI document declares refusals as the API gives them: problem+json, and the
gate's 401, 403 and 429 on every operation that takes a key."""

from __future__ import annotations

import json


def test_every_refusal_is_problem_json_and_the_gate_statuses_are_declared(client, db):
    doc = json.loads(client.get("/api/v1/openapi.json").content)
    ops = [(path, op) for path, item in doc["paths"].items() for op in item.values()]
    assert ops
    for path, op in ops:
        responses = op["responses"]
        assert {"401", "403", "429"} <= set(responses), (path, sorted(responses))
        for status, answer in responses.items():
            if int(status) >= 400:
                assert list(answer["content"]) == ["application/problem+json"], (path, status)
                assert answer["content"]["application/problem+json"]["schema"]["$ref"].endswith(
                    "/ProblemOut"
                )


def test_the_python_document_is_the_served_one(client, db):
    from chop.api.v1 import api

    served = json.loads(client.get("/api/v1/openapi.json").content)
    assert served["paths"] == api.get_openapi_schema(path_prefix="/api/v1/")["paths"]


def test_binary_answers_are_declared_with_their_media_type(client, db):
    doc = json.loads(client.get("/api/v1/openapi.json").content)
    paths = doc["paths"]
    image = paths["/api/v1/seals/{seal_id}/image"]["get"]["responses"]["200"]["content"]
    assert list(image) == ["image/png"]
    export = paths["/api/v1/stamps/export"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in export
    pdf = paths["/api/v1/evidence/{report_id}/file"]["get"]["responses"]["200"]["content"]
    assert list(pdf) == ["application/pdf"]
