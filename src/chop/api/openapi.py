"""The OpenAPI document as the API really answers: every refusal is ``application/problem+json``.

django-ninja declares each response's content as ``application/json``; the API's problems leave
as ``application/problem+json`` (``problems``), so the document says that for every 4xx and 5xx.
And the gate refuses any operation before it runs — no key or a bad one (401), too many requests
(429) — and every operation needs a scope (403), so each operation that takes a key declares
those three, whether or not its router listed them; a POST or PATCH may also meet the upload
limit (413) and, with an ``Idempotency-Key``, a bad key (400), the first request still running
(409) or the key reused for another request (422). Clients and schemathesis then check answers
against what is served. Status codes are strings, as in the served JSON.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/ProblemOut"}
FROM_THE_GATE = (401, 403, 429)
WITH_A_BODY = (400, 409, 413, 422)


def problem_responses(schema: Any) -> Any:
    """``schema`` (ninja's document) with problem answers as described above; changed in place."""
    if "ProblemOut" not in schema.get("components", {}).get("schemas", {}):
        return schema  # no operation declares a problem yet: nothing to refer to
    for item in schema.get("paths", {}).values():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            # status codes as the served JSON has them (ninja keys them by int in Python)
            responses = op["responses"] = {str(k): v for k, v in op["responses"].items()}
            if op.get("security"):
                body = method in ("post", "patch")
                for status in FROM_THE_GATE + (WITH_A_BODY if body else ()):
                    if str(status) not in responses:
                        responses[str(status)] = {"description": HTTPStatus(status).phrase}
            for status, answer in responses.items():
                if int(status) < 400:
                    continue
                content = answer.get("content") or {}
                declared = next(iter(content.values()), {}).get("schema", PROBLEM_REF)
                answer["content"] = {PROBLEM: {"schema": declared}}
    return schema
